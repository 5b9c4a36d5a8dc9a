package io.verypoll.spring.boot.autoconfigure;

import io.verypoll.spring.boot.PollLoopGroup;
import io.verypoll.spring.boot.ServerSettings;
import io.verypoll.spring.boot.SocketServer;
import io.verypoll.spring.boot.VerypollLifecycle;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * verypoll's poll loops and the lifecycle that starts the {@link SocketServer} beans. The loop threads
 * start only when something uses them: a server bean, or a registration through the group.
 */
@AutoConfiguration
@ConditionalOnBooleanProperty(name = "verypoll.enabled", matchIfMissing = true)
@EnableConfigurationProperties(VerypollProperties.class)
public class VerypollAutoConfiguration {

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public PollLoopGroup verypollLoopGroup(VerypollProperties properties) {
        return new PollLoopGroup(properties.toLoopSettings());
    }

    @Bean
    @ConditionalOnMissingBean
    public VerypollLifecycle verypollLifecycle(PollLoopGroup verypollLoopGroup, ObjectProvider<SocketServer> servers,
                                               VerypollProperties properties, ApplicationEventPublisher publisher) {
        Map<String, UnaryOperator<ServerSettings>> overrides = new LinkedHashMap<>();
        properties.getServers().forEach((name, server) -> overrides.put(name, server::applyTo));
        return new VerypollLifecycle(verypollLoopGroup, servers, properties.getShutdownTimeout(), overrides, publisher);
    }
}
