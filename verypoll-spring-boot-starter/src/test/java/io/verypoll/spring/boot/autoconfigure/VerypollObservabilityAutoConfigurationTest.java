package io.verypoll.spring.boot.autoconfigure;

import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.server.AcceptMode;
import io.verypoll.spring.boot.server.ServerKind;
import io.verypoll.spring.boot.server.ServerSetting;
import io.verypoll.spring.boot.server.TcpServer;
import io.verypoll.spring.boot.server.UdpServer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.RequiredSearch;
import io.verypoll.spring.boot.actuate.VerypollEndpoint;
import io.verypoll.spring.boot.actuate.VerypollHealthIndicator;
import io.verypoll.spring.boot.actuate.VerypollMeterBinder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Metrics, health and endpoint auto-configurations: when they apply, when they back off. */
@Timeout(60)
class VerypollObservabilityAutoConfigurationTest {

    // The verypoll classes are listed first on purpose: ordering must come from afterName, not from us.
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withPropertyValues("verypoll.loops=2", "verypoll.shutdown-timeout=0s")
            .withConfiguration(AutoConfigurations.of(VerypollAutoConfiguration.class,
                    VerypollMetricsAutoConfiguration.class, VerypollHealthContributorAutoConfiguration.class,
                    VerypollEndpointAutoConfiguration.class, MetricsAutoConfiguration.class,
                    CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class));

    private final ApplicationContextRunner withEcho = runner.withBean("echo", TcpServer.class,
            () -> TcpServer.builder().port(0).handler((c, data) -> c.write(data)).build());

    @Test
    void metersAreRegisteredWithTheirNamesAndTags() {
        withEcho.run(context -> {
            assertThat(context).hasSingleBean(VerypollMeterBinder.class);
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            TcpServer echo = context.getBean(TcpServer.class);
            try (Socket socket = new Socket("127.0.0.1", echo.port())) {
                socket.setSoTimeout(5000);
                socket.getOutputStream().write(new byte[100]);
                assertThat(socket.getInputStream().readNBytes(100)).hasSize(100);
            }
            for (String loop : List.of("0", "1")) {
                RequiredSearch search = registry.get("verypoll.loop.events").tag("loop", loop);
                assertThat(search.functionCounter()).isNotNull();
                registry.get("verypoll.loop.wait").tag("loop", loop).functionTimer();
                registry.get("verypoll.loop.cycle").tag("loop", loop).functionTimer();
                for (String timer : List.of("verypoll.loop.wait", "verypoll.loop.cycle")) {
                    registry.get(timer + ".max").tag("loop", loop).timeGauge();
                    assertThat(registry.get(timer + ".histogram").tag("loop", loop).functionCounters())
                            .extracting(counter -> counter.getId().getTag("le")).hasSize(15)
                            .contains("0.000001024", "0.000004096", "0.001048576", "68.719476736", "+Inf");
                }
                registry.get("verypoll.loop.wakeups").tag("loop", loop).functionCounter();
                registry.get("verypoll.loop.tasks.pending").tag("loop", loop).gauge();
                registry.get("verypoll.loop.registrations").tag("loop", loop).gauge();
                registry.get("verypoll.loop.blocked").tag("loop", loop).functionCounter();
            }
            double events = registry.get("verypoll.loop.events").functionCounters().stream()
                    .mapToDouble(FunctionCounter::count).sum();
            assertThat(events).isGreaterThanOrEqualTo(2); // at least the accept and the read
            // Every iteration lands in one bucket: the unbounded one counts them all.
            assertThat(registry.get("verypoll.loop.cycle.histogram").tag("le", "+Inf").functionCounters().stream()
                    .mapToDouble(FunctionCounter::count).sum()).isGreaterThanOrEqualTo(2);
            assertThat(registry.get("verypoll.loop.cycle.max").timeGauges().stream()
                    .mapToDouble(gauge -> gauge.value(java.util.concurrent.TimeUnit.NANOSECONDS)).max().orElse(0)).isPositive();
            assertThat(registry.get("verypoll.connections.accepted").tag("server", "echo").functionCounter().count())
                    .isEqualTo(1);
            assertThat(registry.get("verypoll.connections.rejected").tag("server", "echo")
                    .tag("reason", "max-connections").functionCounter().count()).isZero();
            assertThat(registry.get("verypoll.connections.rejected").tag("server", "echo")
                    .tag("reason", "accept-error").functionCounter().count()).isZero();
            assertThat(registry.get("verypoll.data.received").tag("server", "echo").functionCounter().count())
                    .isEqualTo(100);
            assertThat(registry.get("verypoll.data.sent").tag("server", "echo").functionCounter().count())
                    .isEqualTo(100);
            await().atMost(Duration.ofSeconds(5)).until(() ->
                    registry.get("verypoll.connections.active").tag("server", "echo").gauge().value() == 0);
            assertThat(registry.get("verypoll.connections.closed").tag("server", "echo").tag("reason", "peer-closed")
                    .functionCounter().count()).isEqualTo(1);
            assertThat(registry.get("verypoll.data.pending").tag("server", "echo").gauge().getId().getBaseUnit())
                    .isEqualTo("bytes");
            // Forced closes at shutdown count in verypoll.connections.closed{reason=shutdown-forced}.
            assertThat(registry.find("verypoll.shutdown.forced").meters()).isEmpty();
        });
    }

    @Test
    void bucketCountersCanBeTurnedOffByProperty() {
        withEcho.withPropertyValues("management.metrics.enable.verypoll.loop.wait.histogram=false").run(context -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            assertThat(registry.find("verypoll.loop.wait.histogram").meters()).isEmpty();
            assertThat(registry.get("verypoll.loop.wait").functionTimers()).hasSize(2);
            assertThat(registry.get("verypoll.loop.cycle.histogram").functionCounters()).hasSize(2 * 15);
        });
    }

    @Test
    void udpServersHaveNoConnectionMeters() {
        runner.withBean("datagrams", UdpServer.class, () -> UdpServer.builder().port(0)
                .handler((udp, data, sender) -> udp.send(data, sender)).build()).run(context -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            registry.get("verypoll.datagrams.received").tag("server", "datagrams").functionCounter();
            registry.get("verypoll.handler.errors").tag("server", "datagrams").functionCounter();
            assertThat(registry.find("verypoll.connections.active").meters()).isEmpty();
            assertThat(registry.find("verypoll.connections.accepted").meters()).isEmpty();
            assertThat(registry.find("verypoll.data.pending").meters()).isEmpty();
        });
    }

    @Test
    void handlerErrorsAreCountedPerServerPerLoopAndByExceptionClass() {
        runner.withBean("failing", TcpServer.class, () -> TcpServer.builder().port(0).handler((c, data) -> {
            throw new UnsupportedOperationException("not today");
        }).build()).run(context -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            // The totals exist before the first error, so that a rate over them sees it.
            assertThat(registry.get("verypoll.handler.errors").tag("server", "failing").functionCounter().count()).isZero();
            assertThat(registry.get("verypoll.loop.handler.errors").functionCounters()).hasSize(2)
                    .allSatisfy(counter -> assertThat(counter.count()).isZero());
            try (Socket socket = new Socket("127.0.0.1", context.getBean(TcpServer.class).port())) {
                socket.setSoTimeout(5000);
                socket.getOutputStream().write(1);
                assertThat(socket.getInputStream().read()).isEqualTo(-1);
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> registry.find("verypoll.handler.errors.by.exception")
                    .tag("exception", "UnsupportedOperationException").functionCounter() != null);
            assertThat(registry.get("verypoll.handler.errors.by.exception").tag("exception", "UnsupportedOperationException")
                    .functionCounter().count()).isEqualTo(1);
            assertThat(registry.get("verypoll.handler.errors").tag("server", "failing").functionCounter().count())
                    .isEqualTo(1);
            assertThat(registry.get("verypoll.loop.handler.errors").functionCounters().stream()
                    .mapToDouble(FunctionCounter::count).sum()).isEqualTo(1);
            assertThat(registry.get("verypoll.connections.closed").tag("reason", "handler-error")
                    .functionCounter().count()).isEqualTo(1);
        });
    }

    @Test
    void noMicrometerOnTheClasspathMeansNoMetersAndNoFailure() {
        // Without Micrometer there is no Boot metrics configuration either: only ours is asked.
        new ApplicationContextRunner().withPropertyValues("verypoll.loops=1")
                .withConfiguration(AutoConfigurations.of(VerypollAutoConfiguration.class,
                        VerypollMetricsAutoConfiguration.class, VerypollHealthContributorAutoConfiguration.class,
                        VerypollEndpointAutoConfiguration.class))
                .withClassLoader(new FilteredClassLoader(MeterRegistry.class)).run(context -> {
            assertThat(context).hasNotFailed().doesNotHaveBean(VerypollMeterBinder.class)
                    .hasSingleBean(PollLoopGroup.class);
        });
    }

    @Test
    void noMeterRegistryBeanMeansNoBinder() {
        new ApplicationContextRunner().withPropertyValues("verypoll.loops=1")
                .withConfiguration(AutoConfigurations.of(VerypollAutoConfiguration.class, VerypollMetricsAutoConfiguration.class))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(VerypollMeterBinder.class));
    }

    @Test
    void userMeterBinderWins() {
        runner.withBean("myBinder", VerypollMeterBinder.class,
                () -> new VerypollMeterBinder(new PollLoopGroup(PollLoopGroup.Settings.defaults())))
                .run(context -> assertThat(context).getBeanNames(VerypollMeterBinder.class).containsExactly("myBinder"));
    }

    @Test
    void healthIsUpWithLoopDetailsOnceLoopsRun() {
        withEcho.run(context -> {
            HealthIndicator health = context.getBean("verypollHealthIndicator", HealthIndicator.class);
            var result = health.health();
            assertThat(result.getStatus()).isEqualTo(Status.UP);
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> loops = (List<Map<String, Object>>) result.getDetails().get("loops");
            assertThat(loops).hasSize(2);
            assertThat(loops.get(0)).containsEntry("thread", "verypoll-loop-0").containsEntry("running", true)
                    .containsEntry("blocked", false);
        });
    }

    @Test
    void healthIsDownWhileALoopIsBlocked() {
        withEcho.withPropertyValues("verypoll.blocked-threshold=200ms", "verypoll.blocked-check-interval=50ms")
                .run(context -> {
                    HealthIndicator health = context.getBean(VerypollHealthIndicator.class);
                    PollLoopGroup group = context.getBean(PollLoopGroup.class);
                    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
                    group.loop(1).execute(() -> {
                        try {
                            release.await(10, java.util.concurrent.TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                    await().atMost(Duration.ofSeconds(5)).until(() -> health.health().getStatus().equals(Status.DOWN));
                    MeterRegistry registry = context.getBean(MeterRegistry.class);
                    await().atMost(Duration.ofSeconds(5)).until(() ->
                            registry.get("verypoll.loop.blocked").tag("loop", "1").functionCounter().count() >= 1);
                    release.countDown();
                    await().atMost(Duration.ofSeconds(5)).until(() -> health.health().getStatus().equals(Status.UP));
                });
    }

    @Test
    void healthIndicatorCanBeDisabled() {
        withEcho.withPropertyValues("management.health.verypoll.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(VerypollHealthIndicator.class));
    }

    @Test
    void noHealthModuleMeansNoIndicator() {
        runner.withClassLoader(new FilteredClassLoader(HealthIndicator.class))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(VerypollHealthIndicator.class));
    }

    @Test
    void endpointIsAbsentUntilExposed() {
        withEcho.run(context -> assertThat(context).doesNotHaveBean(VerypollEndpoint.class));
    }

    @Test
    void exposedEndpointListsLoopsAndServers() {
        withEcho.withPropertyValues("management.endpoints.web.exposure.include=verypoll").run(context -> {
            assertThat(context).hasSingleBean(VerypollEndpoint.class);
            VerypollEndpoint.Report report = context.getBean(VerypollEndpoint.class).report();
            assertThat(report.state()).isEqualTo("running");
            assertThat(report.loops()).extracting(VerypollEndpoint.LoopReport::thread)
                    .containsExactly("verypoll-loop-0", "verypoll-loop-1");
            assertThat(report.servers()).singleElement().satisfies(server -> {
                assertThat(server.name()).isEqualTo("echo");
                assertThat(server.protocol()).isEqualTo("tcp");
                assertThat(server.port()).isEqualTo(context.getBean(TcpServer.class).port());
                assertThat(server.address()).contains("127.0.0.1");
            });
        });
    }

    @Test
    void endpointShowsTheSettingsEachServerRunsWith() {
        withEcho.withPropertyValues("management.endpoints.web.exposure.include=verypoll",
                "verypoll.servers.echo.idle-timeout=90s", "verypoll.servers.echo.high-watermark=128KB").run(context -> {
            VerypollEndpoint.ServerReport server = context.getBean(VerypollEndpoint.class).report().servers().get(0);
            assertThat(server.settings()).containsEntry("idle-timeout", "PT1M30S")
                    .containsEntry("high-watermark", 128L * 1024)
                    .containsEntry("max-connections", 8192)
                    .containsEntry("tcp-no-delay", true)
                    .doesNotContainKey("path");
            assertThat(server.settings().keySet()).containsExactlyElementsOf(ServerSetting.all()
                    .stream().filter(s -> s.appliesTo(ServerKind.TCP))
                    .map(ServerSetting::name).toList());
        });
    }

    @Test
    void endpointShowsTheListenersOfEachAcceptMode() {
        withEcho.withPropertyValues("management.endpoints.web.exposure.include=verypoll", "verypoll.loops=2")
                .run(context -> {
                    VerypollEndpoint.ServerReport server = context.getBean(VerypollEndpoint.class).report().servers().get(0);
                    assertThat(server.listeners()).isEqualTo(1);
                    assertThat(server.settings()).containsEntry("accept", AcceptMode.HAND_OFF);
                });
        withEcho.withPropertyValues("management.endpoints.web.exposure.include=verypoll", "verypoll.loops=2",
                "verypoll.servers.echo.accept=reuseport").run(context -> {
                    VerypollEndpoint.ServerReport server = context.getBean(VerypollEndpoint.class).report().servers().get(0);
                    assertThat(server.listeners()).isEqualTo(2);
                    assertThat(server.settings()).containsEntry("accept", AcceptMode.REUSEPORT);
                    assertThat(context.getBean(TcpServer.class).listeners()).isEqualTo(2);
                });
    }

    @Test
    void userEndpointWins() {
        withEcho.withPropertyValues("management.endpoints.web.exposure.include=verypoll")
                .withBean("myEndpoint", VerypollEndpoint.class,
                        () -> new VerypollEndpoint(new PollLoopGroup(PollLoopGroup.Settings.defaults()), null))
                .run(context -> assertThat(context).getBeanNames(VerypollEndpoint.class).containsExactly("myEndpoint"));
    }
}
