package io.verypoll.spring.boot.autoconfigure;

import io.verypoll.spring.boot.context.VerypollLifecycle;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.server.SocketServer;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

import java.time.Duration;

/**
 * verypoll's poll loops and the lifecycle that starts the {@link SocketServer} beans. The loop threads
 * start only when something uses them: a server bean, or a registration through the group.
 */
@AutoConfiguration
@ConditionalOnBooleanProperty(name = "verypoll.enabled", matchIfMissing = true)
@EnableConfigurationProperties(VerypollProperties.class)
public class VerypollAutoConfiguration {

    private static final Log log = LogFactory.getLog(VerypollAutoConfiguration.class);

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public PollLoopGroup verypollLoopGroup(VerypollProperties properties) {
        return new PollLoopGroup(properties.toLoopSettings());
    }

    @Bean
    VerypollServerProperties verypollServerProperties() {
        return new VerypollServerProperties();
    }

    @Bean
    @ConditionalOnMissingBean
    public VerypollLifecycle verypollLifecycle(PollLoopGroup verypollLoopGroup, ObjectProvider<SocketServer> servers,
                                               VerypollProperties properties, VerypollServerProperties serverProperties,
                                               ApplicationEventPublisher publisher,
                                               Environment environment) {
        Duration phaseTimeout = environment.getProperty("spring.lifecycle.timeout-per-shutdown-phase", Duration.class,
                Duration.ofSeconds(30));
        if (properties.getShutdownTimeout().compareTo(phaseTimeout) >= 0) {
            // Boot stops waiting for the phase first, and the drain would be cut short without a word.
            log.warn("verypoll.shutdown-timeout (" + properties.getShutdownTimeout() + ") is not below "
                    + "spring.lifecycle.timeout-per-shutdown-phase (" + phaseTimeout + "): lower it or raise the phase timeout");
        }
        return new VerypollLifecycle(verypollLoopGroup, servers, properties.getShutdownTimeout(),
                serverProperties.servers(), publisher);
    }
}
