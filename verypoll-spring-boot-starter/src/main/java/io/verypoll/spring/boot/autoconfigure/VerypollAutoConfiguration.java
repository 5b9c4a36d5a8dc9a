package io.verypoll.spring.boot.autoconfigure;

import io.verypoll.spring.boot.context.LocalVerypollPortInjector;
import io.verypoll.spring.boot.context.VerypollGracefulShutdown;
import io.verypoll.spring.boot.context.VerypollLifecycle;
import io.verypoll.spring.boot.context.VerypollServerCustomizer;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.server.SocketServer;
import io.verypoll.spring.boot.server.StreamClient;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.context.LifecycleProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;

import java.util.concurrent.Executor;

/**
 * verypoll's poll loops and the lifecycle that starts the {@link SocketServer} and {@link StreamClient} beans. The loop threads
 * start only when something uses them: a server bean, or a registration through the group.
 */
// After Boot's SSL auto-configuration: servers with ssl.bundle look their bundle up in its SslBundles.
@AutoConfiguration(afterName = "org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration")
@ConditionalOnBooleanProperty(name = "verypoll.enabled", matchIfMissing = true)
// Boot's LifecycleAutoConfiguration binds LifecycleProperties too; enabling it here keeps the phase
// timeout typed when that auto-configuration is not in the context (a registered bean is not added twice).
@EnableConfigurationProperties({VerypollProperties.class, LifecycleProperties.class})
public final class VerypollAutoConfiguration {

    /** Boot's task executor bean ({@code TaskExecutionAutoConfiguration}), not required. */
    static final String OFFLOAD_EXECUTOR = "applicationTaskExecutor";

    /** Static: a post-processor must exist before the beans it processes. */
    @Bean
    static LocalVerypollPortInjector localVerypollPortInjector() {
        return new LocalVerypollPortInjector();
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    PollLoopGroup verypollLoopGroup(VerypollProperties properties) {
        return new PollLoopGroup(properties.toLoopSettings());
    }

    @Bean
    VerypollServerProperties verypollServerProperties() {
        return new VerypollServerProperties();
    }

    @Bean
    VerypollClientProperties verypollClientProperties() {
        return new VerypollClientProperties();
    }

    /**
     * Offloaded work of servers whose builder named no executor runs on the bean {@value #OFFLOAD_EXECUTOR}
     * when there is one: Boot's task executor, a virtual-thread one with {@code spring.threads.virtual.enabled}.
     * Without it each such server makes a small pool of its own at its first offload.
     */
    @Bean
    @ConditionalOnMissingBean
    VerypollLifecycle verypollLifecycle(PollLoopGroup verypollLoopGroup, ObjectProvider<SocketServer> servers,
                                        ObjectProvider<VerypollServerCustomizer> customizers,
                                        VerypollProperties properties, VerypollServerProperties serverProperties,
                                        LifecycleProperties lifecycle, ApplicationEventPublisher publisher,
                                        @Qualifier(OFFLOAD_EXECUTOR) ObjectProvider<Executor> offloadExecutor,
                                        ObjectProvider<SslBundles> sslBundles,
                                        ObjectProvider<StreamClient> clients, VerypollClientProperties clientProperties) {
        VerypollLifecycle.Options options = new VerypollLifecycle.Options(properties.getShutdownTimeout(),
                lifecycle.getTimeoutPerShutdownPhase(), properties.isNonLoopbackAcknowledged());
        VerypollLifecycle verypoll = new VerypollLifecycle(verypollLoopGroup, servers, customizers, serverProperties,
                options, publisher, offloadExecutor);
        verypoll.setSslBundles(sslBundles);
        verypoll.clients(clients, clientProperties);
        return verypoll;
    }

    @Bean
    @ConditionalOnMissingBean
    VerypollGracefulShutdown verypollGracefulShutdown(VerypollLifecycle verypollLifecycle, VerypollProperties properties) {
        return new VerypollGracefulShutdown(verypollLifecycle, properties.getShutdown());
    }
}
