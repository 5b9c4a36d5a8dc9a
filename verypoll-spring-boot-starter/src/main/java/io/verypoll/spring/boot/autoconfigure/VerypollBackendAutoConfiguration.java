package io.verypoll.spring.boot.autoconfigure;

import io.verypoll.spring.boot.context.VerypollBackendSelector;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * Applies {@code verypoll.backend} to verypoll-core before any bean exists ({@link VerypollBackendSelector}).
 * Not tied to {@code verypoll.enabled}: code that uses verypoll-core directly runs on the configured
 * backend too.
 */
@AutoConfiguration(before = VerypollAutoConfiguration.class)
public final class VerypollBackendAutoConfiguration {

    /** Static: a bean factory post-processor must not need its configuration class instantiated. */
    @Bean
    static VerypollBackendSelector verypollBackendSelector() {
        return new VerypollBackendSelector();
    }
}
