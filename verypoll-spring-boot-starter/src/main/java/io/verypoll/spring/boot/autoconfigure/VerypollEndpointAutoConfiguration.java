package io.verypoll.spring.boot.autoconfigure;

import io.verypoll.spring.boot.context.VerypollLifecycle;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.actuate.VerypollEndpoint;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/** The {@code verypoll} Actuator endpoint, when it is exposed ({@code management.endpoints.web.exposure.include}). */
@AutoConfiguration(after = VerypollAutoConfiguration.class)
@ConditionalOnClass({Endpoint.class, ConditionalOnAvailableEndpoint.class})
@ConditionalOnBean(PollLoopGroup.class)
@ConditionalOnAvailableEndpoint(VerypollEndpoint.class)
public final class VerypollEndpointAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    VerypollEndpoint verypollEndpoint(PollLoopGroup group, ObjectProvider<VerypollLifecycle> lifecycle) {
        return new VerypollEndpoint(group, lifecycle.getIfAvailable());
    }
}
