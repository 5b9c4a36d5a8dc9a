package io.verypoll.spring.boot.autoconfigure;

import io.verypoll.spring.boot.actuate.VerypollEndpoint;
import io.verypoll.spring.boot.actuate.VerypollHealthIndicator;
import io.verypoll.spring.boot.context.VerypollLifecycle;
import io.verypoll.spring.boot.server.ClientSetting;
import io.verypoll.spring.boot.server.CloseReason;
import io.verypoll.spring.boot.server.ServerSetting;
import io.verypoll.spring.boot.server.TcpClient;
import io.verypoll.spring.boot.server.TcpServer;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Client beans: configured by properties, started and stopped with the context, in health, endpoint and meters. */
@Timeout(60)
class ClientBeansTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withPropertyValues("verypoll.loops=2", "verypoll.shutdown-timeout=1s",
                    "management.endpoints.web.exposure.include=verypoll")
            .withConfiguration(AutoConfigurations.of(VerypollAutoConfiguration.class,
                    VerypollMetricsAutoConfiguration.class, VerypollHealthContributorAutoConfiguration.class,
                    VerypollEndpointAutoConfiguration.class, MetricsAutoConfiguration.class,
                    CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class));

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static long openDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    private static List<String> verypollThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(name -> name.startsWith("verypoll-")).toList();
    }

    @Test
    void aClientBeanIsNamedByItsBeanConfiguredByPropertiesAndConnectsWithTheContext() throws Exception {
        int port = freePort();
        long fdsBefore = openDescriptors();
        runner.withPropertyValues("verypoll.servers.echo.port=" + port, "verypoll.clients.backend.port=" + port,
                        "verypoll.clients.backend.connect-timeout=3s", "verypoll.clients.backend.reconnect.max-delay=2s",
                        "verypoll.client-defaults.idle-timeout=5m", "verypoll.clients.backend.high-watermark=128KB")
                .withBean("echo", TcpServer.class, () -> TcpServer.builder().handler((c, data) -> c.write(data)).build())
                .withBean("backend", TcpClient.class, () -> TcpClient.builder().port(1).handler((c, data) -> { }).build())
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    TcpClient backend = context.getBean(TcpClient.class);
                    assertThat(backend.name()).isEqualTo("backend");
                    assertThat(backend.settings().port()).isEqualTo(port);
                    assertThat(backend.settings().connectTimeout()).isEqualTo(Duration.ofSeconds(3));
                    assertThat(backend.settings().get(ClientSetting.RECONNECT_MAX_DELAY)).isEqualTo(Duration.ofSeconds(2));
                    assertThat(backend.settings().get(ServerSetting.IDLE_TIMEOUT)).isEqualTo(Duration.ofMinutes(5));
                    assertThat(backend.settings().connection().highWatermark()).isEqualTo(128 * 1024);
                    await().atMost(WAIT).until(backend::isConnected);
                    assertThat(context.getBean(VerypollLifecycle.class).clients()).containsExactly(backend);

                    Health health = context.getBean(VerypollHealthIndicator.class).health(true);
                    assertThat(health.getStatus()).isEqualTo(Status.UP);
                    assertThat(health.getDetails().get("links")).isEqualTo(
                            Map.of("backend", Map.of("target", "127.0.0.1:" + port, "connected", true)));

                    VerypollEndpoint.ClientReport report = context.getBean(VerypollEndpoint.class).report().clients().get(0);
                    assertThat(report.name()).isEqualTo("backend");
                    assertThat(report.link()).isEqualTo("connected");
                    assertThat(report.settings()).containsEntry("connect-timeout", "PT3S").containsEntry("port", port);

                    MeterRegistry registry = context.getBean(MeterRegistry.class);
                    assertThat(registry.get("verypoll.client.link.connected").tag("client", "backend").gauge().value())
                            .isEqualTo(1.0);
                    assertThat(registry.get("verypoll.client.connects").tag("client", "backend").functionCounter().count())
                            .isEqualTo(1.0);
                    registry.get("verypoll.client.connections.closed").tag("client", "backend")
                            .tag("reason", CloseReason.CONNECT_REFUSED.tag()).functionCounter();

                    // Restart with the context: the link closes at stop and comes back at start.
                    context.stop();
                    assertThat(backend.isRunning()).isFalse();
                    assertThat(backend.activeConnections()).isZero();
                    // The echo server drains first (and ends the link from its side), or the client's stop closes it.
                    assertThat(backend.closedConnections(CloseReason.SHUTDOWN)
                            + backend.closedConnections(CloseReason.PEER_CLOSED)).isEqualTo(1);
                    context.start();
                    await().atMost(WAIT).until(backend::isConnected);
                    assertThat(backend.connectAttempts()).isGreaterThanOrEqualTo(2);
                });
        assertThat(verypollThreads()).isEmpty();
        // Bounded: the JVM may open a jar meanwhile; every socket and poll of the context is closed.
        assertThat(openDescriptors()).isLessThanOrEqualTo(fdsBefore + 2);
    }

    @Test
    void aLinkThatIsNotConnectedMakesHealthDown() throws Exception {
        int port = freePort();
        runner.withPropertyValues("verypoll.clients.backend.port=" + port,
                        "verypoll.clients.backend.reconnect.initial-delay=20ms")
                .withBean("backend", TcpClient.class, () -> TcpClient.builder().handler((c, data) -> { }).build())
                .run(context -> {
                    TcpClient backend = context.getBean(TcpClient.class);
                    await().atMost(WAIT).until(() -> backend.closedConnections(CloseReason.CONNECT_REFUSED) >= 2);
                    Health health = context.getBean(VerypollHealthIndicator.class).health(true);
                    assertThat(health.getStatus()).isEqualTo(Status.DOWN);
                    assertThat(backend.reconnects()).isGreaterThanOrEqualTo(1);
                    MeterRegistry registry = context.getBean(MeterRegistry.class);
                    assertThat(registry.get("verypoll.client.reconnects").tag("client", "backend").functionCounter().count())
                            .isGreaterThanOrEqualTo(1.0);
                });
    }

    @Test
    void aPropertyThatFitsNoClientOrNoSettingFailsTheStart() {
        runner.withPropertyValues("verypoll.clients.bakend.port=7", "verypoll.clients.backend.reconect.max-delay=1s",
                        "verypoll.clients.backend.reconnect.max-delay=1s")
                .withBean("backend", TcpClient.class, () -> TcpClient.builder().port(7).link(false).build())
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure()).rootCause()
                            .hasMessageContaining("verypoll.clients.bakend names no client; the clients are [backend]")
                            .hasMessageContaining("verypoll.clients.backend.reconect.max-delay is not a client setting")
                            .message().doesNotContain("backend.reconnect.max-delay is not");
                });
    }

    @Test
    void anEnvironmentVariableAloneReachesADashedClientName() {
        runner.withInitializer(context -> context.getEnvironment().getPropertySources().addLast(
                        new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                                Map.of("VERYPOLL_CLIENTS_AUDIT_LINK_PORT", "7007",
                                        "VERYPOLL_CLIENTS_AUDITLINK_CONNECTTIMEOUT", "3s",
                                        "VERYPOLL_CLIENTS_BACKEND_RECONNECT_MAXDELAY", "2s",
                                        "VERYPOLL_CLIENTS_BACKEND_HIGH_WATERMARK", "128KB"))))
                .withBean("audit-link", TcpClient.class, () -> TcpClient.builder().port(7).link(false)
                        .handler((c, data) -> { }).build())
                .withBean("backend", TcpClient.class, () -> TcpClient.builder().port(7).link(false)
                        .handler((c, data) -> { }).build())
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    TcpClient audit = context.getBean("audit-link", TcpClient.class);
                    assertThat(audit.settings().port()).isEqualTo(7007);
                    assertThat(audit.settings().connectTimeout()).isEqualTo(Duration.ofSeconds(3));
                    TcpClient backend = context.getBean("backend", TcpClient.class);
                    assertThat(backend.settings().get(ClientSetting.RECONNECT_MAX_DELAY)).isEqualTo(Duration.ofSeconds(2));
                    assertThat(backend.settings().connection().highWatermark()).isEqualTo(128 * 1024);
                });
    }

    @Test
    void anEnvironmentVariableNamingNoClientOrNoSettingFails() {
        runner.withInitializer(context -> context.getEnvironment().getPropertySources().addLast(
                        new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                                Map.of("VERYPOLL_CLIENTS_BAKEND_PORT", "1",
                                        "VERYPOLL_CLIENTS_BACKEND_RECONECT_MAXDELAY", "1s",
                                        "VERYPOLL_CLIENTS_BACKEND_RECONNECT_MAXDELAY", "1s"))))
                .withBean("backend", TcpClient.class, () -> TcpClient.builder().port(7).link(false)
                        .handler((c, data) -> { }).build())
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure()).rootCause()
                            .hasMessageContaining("environment variable VERYPOLL_CLIENTS_BAKEND_PORT fits no client"
                                    + " setting; the clients are [backend] and the settings [host, port,")
                            .hasMessageContaining("environment variable VERYPOLL_CLIENTS_BACKEND_RECONECT_MAXDELAY fits"
                                    + " no client setting")
                            .message().doesNotContain("VERYPOLL_CLIENTS_BACKEND_RECONNECT_MAXDELAY fits")
                            .doesNotContain("verypoll.clients.bakend");
                });
    }

    @Test
    void invalidClientSettingsFailTheStartNamingTheProperty() {
        runner.withPropertyValues("verypoll.clients.backend.reconnect.jitter=3")
                .withBean("backend", TcpClient.class, () -> TcpClient.builder().port(7).handler((c, data) -> { }).build())
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure()).rootCause()
                            .hasMessageContaining("verypoll client 'backend': reconnect.jitter must be between 0 and 1");
                });
    }
}
