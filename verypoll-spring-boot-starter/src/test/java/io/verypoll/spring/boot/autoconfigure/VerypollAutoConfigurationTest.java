package io.verypoll.spring.boot.autoconfigure;

import io.verypoll.spring.boot.context.LocalVerypollPort;
import io.verypoll.spring.boot.context.VerypollLifecycle;
import io.verypoll.spring.boot.context.VerypollServerPortInitializer;
import io.verypoll.spring.boot.context.VerypollServerStartedEvent;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.server.CloseReason;
import io.verypoll.spring.boot.server.ServerKind;
import io.verypoll.spring.boot.server.ServerSetting;
import io.verypoll.spring.boot.server.ServerSettings;
import io.verypoll.spring.boot.server.SocketServer;
import io.verypoll.spring.boot.server.TcpServer;
import io.verypoll.spring.boot.server.UdpServer;
import io.verypoll.spring.boot.server.UnixServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** Conditions, properties, back-offs and startup validation of {@link VerypollAutoConfiguration}. */
@Timeout(60)
class VerypollAutoConfigurationTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withInitializer(new VerypollServerPortInitializer())
            .withPropertyValues("verypoll.loops=2", "verypoll.shutdown-timeout=0s")
            .withConfiguration(AutoConfigurations.of(VerypollAutoConfiguration.class));

    @Configuration(proxyBeanMethods = false)
    static class EchoServer {
        @Bean
        TcpServer echo() {
            return TcpServer.builder().port(0).handler((c, data) -> c.write(data)).build();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class StartedEvents {
        final List<VerypollServerStartedEvent> events = new CopyOnWriteArrayList<>();

        @Bean
        ApplicationListener<VerypollServerStartedEvent> recorder() {
            return events::add;
        }
    }

    @Test
    void withoutServersTheGroupExistsButNoThreadStarts() {
        runner.run(context -> {
            assertThat(context).hasSingleBean(PollLoopGroup.class).hasSingleBean(VerypollLifecycle.class);
            PollLoopGroup group = context.getBean(PollLoopGroup.class);
            assertThat(group.loops()).hasSize(2);
            assertThat(group.isStarted()).isFalse();
            assertThat(liveVerypollThreads()).isEmpty();
        });
    }

    @Test
    void disabledMeansNoBeans() {
        runner.withUserConfiguration(EchoServer.class).withPropertyValues("verypoll.enabled=false").run(context -> {
            assertThat(context).doesNotHaveBean(PollLoopGroup.class).doesNotHaveBean(VerypollLifecycle.class);
            assertThat(context.getBean(TcpServer.class).isRunning()).isFalse();
        });
    }

    @Test
    void userLoopGroupWins() {
        runner.withBean("myLoops", PollLoopGroup.class,
                () -> new PollLoopGroup(new PollLoopGroup.Settings(3, 16, Duration.ofSeconds(1), Duration.ofSeconds(1), 8, 65_536)))
                .run(context -> {
                    assertThat(context).hasSingleBean(PollLoopGroup.class);
                    assertThat(context.getBean(PollLoopGroup.class).loops()).hasSize(3);
                    assertThat(context).hasSingleBean(VerypollLifecycle.class);
                });
    }

    @Test
    void userLifecycleWins() {
        runner.withUserConfiguration(EchoServer.class)
                .withBean("myLifecycle", VerypollLifecycle.class, () -> new VerypollLifecycle(
                        new PollLoopGroup(new PollLoopGroup.Settings(1, 16, Duration.ofSeconds(1), Duration.ofSeconds(1), 8, 65_536)),
                        new org.springframework.beans.factory.support.StaticListableBeanFactory().getBeanProvider(SocketServer.class),
                        new org.springframework.beans.factory.support.StaticListableBeanFactory()
                                .getBeanProvider(io.verypoll.spring.boot.context.VerypollServerCustomizer.class),
                        io.verypoll.spring.boot.context.ServerSettingsSource.NONE,
                        new VerypollLifecycle.Options(Duration.ZERO, VerypollLifecycle.DEFAULT_PHASE_TIMEOUT, false), null))
                .run(context -> {
                    assertThat(context).getBeanNames(VerypollLifecycle.class).containsExactly("myLifecycle");
                    // The user's lifecycle knows no servers, so the echo bean was not started by ours.
                    assertThat(context.getBean(TcpServer.class).isRunning()).isFalse();
                });
    }

    @Test
    void loopSettingsComeFromProperties() {
        runner.withPropertyValues("verypoll.loops=3", "verypoll.events-capacity=32", "verypoll.blocked-threshold=750ms",
                "verypoll.max-tasks-per-iteration=7").run(context -> {
            PollLoopGroup.Settings settings = context.getBean(PollLoopGroup.class).settings();
            assertThat(settings.loops()).isEqualTo(3);
            assertThat(settings.eventsCapacity()).isEqualTo(32);
            assertThat(settings.blockedThreshold()).isEqualTo(Duration.ofMillis(750));
            assertThat(settings.maxTasksPerIteration()).isEqualTo(7);
        });
    }

    @Test
    void loopsDefaultToAvailableProcessors() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(VerypollAutoConfiguration.class))
                .run(context -> assertThat(context.getBean(PollLoopGroup.class).loops())
                        .hasSize(Runtime.getRuntime().availableProcessors()));
    }

    @Test
    void invalidLoopPropertiesFailFastNamingTheProperty() {
        runner.withPropertyValues("verypoll.loops=0", "verypoll.events-capacity=0", "verypoll.shutdown-timeout=-1s")
                .run(context -> {
                    assertThat(context).hasFailed();
                    String message = allMessages(context.getStartupFailure());
                    assertThat(message).contains("loops").contains("must be between 1 and 256, was 0")
                            .contains("eventsCapacity").contains("must be at least 1, was 0")
                            .contains("shutdownTimeout").contains("must not be negative");
                });
    }

    @Test
    void invalidServerPropertiesFailFast() {
        runner.withUserConfiguration(EchoServer.class)
                .withPropertyValues("verypoll.servers.echo.port=70000",
                        "verypoll.servers.echo.low-watermark=64KB", "verypoll.servers.echo.high-watermark=32KB")
                .run(context -> {
                    assertThat(context).hasFailed();
                    String message = allMessages(context.getStartupFailure());
                    assertThat(message).contains("must be between 0 and 65535, was 70000")
                            .contains("must be lower than high-watermark");
                });
    }

    @Test
    void overrideThatBreaksTheBeansSettingsFailsAtStartWithTheServersName() {
        // Each property is valid alone; together with the bean's 64 KiB high watermark it is not.
        runner.withUserConfiguration(EchoServer.class)
                .withPropertyValues("verypoll.servers.echo.low-watermark=128KB")
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(allMessages(context.getStartupFailure()))
                            .contains("verypoll server 'echo': low-watermark (131072 bytes) must be lower than high-watermark (65536 bytes)");
                    assertThat(liveVerypollThreads()).isEmpty();
                });
    }

    @Configuration(proxyBeanMethods = false)
    static class PortReader {
        @io.verypoll.spring.boot.context.LocalVerypollPort
        int port;
    }

    @Test
    void localVerypollPortAnnotationInjectsTheSingleServersPort() {
        // A bean created after the servers started (lazily, as a test class would be) sees the port.
        runner.withUserConfiguration(EchoServer.class).run(context -> {
            PortReader reader = context.getAutowireCapableBeanFactory().createBean(PortReader.class);
            assertThat(reader.port).isEqualTo(context.getBean(TcpServer.class).port()).isPositive();
        });
    }

    @Test
    void serverBeanStartsOnPortZeroAndPublishesItsPort() {
        runner.withUserConfiguration(EchoServer.class, StartedEvents.class).run(context -> {
            TcpServer echo = context.getBean(TcpServer.class);
            assertThat(echo.name()).isEqualTo("echo");
            assertThat(echo.isRunning()).isTrue();
            assertThat(echo.port()).isPositive();
            assertThat(context.getEnvironment().getProperty("local.verypoll.echo.port", Integer.class)).isEqualTo(echo.port());
            assertThat(context.getEnvironment().getProperty("local.verypoll.port", Integer.class)).isEqualTo(echo.port());
            assertThat(context.getBean(StartedEvents.class).events).extracting(VerypollServerStartedEvent::server)
                    .containsExactly(echo);
            try (Socket socket = new Socket("127.0.0.1", echo.port())) {
                socket.setSoTimeout(5000);
                socket.getOutputStream().write("hi".getBytes());
                assertThat(socket.getInputStream().readNBytes(2)).isEqualTo("hi".getBytes());
            }
        });
        assertThat(liveVerypollThreads()).isEmpty();
    }

    @Test
    void perServerPropertiesOverrideTheBean() {
        runner.withUserConfiguration(EchoServer.class)
                .withPropertyValues("verypoll.servers.echo.max-connections=3", "verypoll.servers.echo.idle-timeout=250ms",
                        "verypoll.servers.echo.high-watermark=16KB", "verypoll.servers.echo.low-watermark=4KB",
                        "verypoll.servers.echo.max-pending-bytes=1MB", "verypoll.servers.echo.backlog=10")
                .run(context -> {
                    ServerSettings settings = context.getBean(TcpServer.class).settings();
                    assertThat(settings.maxConnections()).isEqualTo(3);
                    assertThat(settings.idleTimeout()).isEqualTo(Duration.ofMillis(250));
                    assertThat(settings.highWatermark()).isEqualTo(16 * 1024);
                    assertThat(settings.lowWatermark()).isEqualTo(4 * 1024);
                    assertThat(settings.maxPendingBytes()).isEqualTo(1024 * 1024);
                    assertThat(settings.backlog()).isEqualTo(10);
                    assertThat(settings.address()).isEqualTo("127.0.0.1");
                    // The override is live: an idle connection is closed after 250 ms.
                    TcpServer echo = context.getBean(TcpServer.class);
                    try (Socket socket = new Socket("127.0.0.1", echo.port())) {
                        socket.setSoTimeout(5000);
                        assertThat(socket.getInputStream().read()).isEqualTo(-1);
                    }
                    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                            .until(() -> echo.closedConnections(CloseReason.IDLE_TIMEOUT) == 1);
                });
    }

    @Test
    void severalServersEachPublishTheirPortButNoSinglePort(@TempDir Path dir) {
        Path socketFile = dir.resolve("verypoll.sock");
        runner.withUserConfiguration(EchoServer.class)
                .withBean("datagrams", UdpServer.class,
                        () -> UdpServer.builder().port(0).handler((server, data, sender) -> server.send(data, sender)).build())
                .withBean("local", UnixServer.class,
                        () -> UnixServer.builder().path(socketFile).handler((c, data) -> c.write(data)).build())
                .run(context -> {
                    var env = context.getEnvironment();
                    assertThat(env.getProperty("local.verypoll.echo.port", Integer.class)).isPositive();
                    assertThat(env.getProperty("local.verypoll.datagrams.port", Integer.class)).isPositive();
                    assertThat(env.getProperty("local.verypoll.local.path")).isEqualTo(socketFile.toString());
                    assertThat(env.containsProperty("local.verypoll.port")).isFalse();
                    assertThat(context.getBean(VerypollLifecycle.class).servers()).extracting(SocketServer::name)
                            .containsExactlyInAnyOrder("echo", "datagrams", "local");
                    // The Unix server echoes too.
                    try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socketFile))) {
                        channel.write(ByteBuffer.wrap("unix".getBytes()));
                        ByteBuffer reply = ByteBuffer.allocate(4);
                        while (reply.hasRemaining() && channel.read(reply) >= 0) {
                            // blocking channel: each read waits for bytes
                        }
                        assertThat(new String(reply.array())).isEqualTo("unix");
                    }
                });
        assertThat(Files.exists(socketFile)).as("socket file removed at stop").isFalse();
    }

    @Test
    void portInUseFailsStartupWithTheServersNameAndAddress() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            runner.withUserConfiguration(EchoServer.class)
                    .withPropertyValues("verypoll.servers.echo.port=" + taken.getLocalPort())
                    .run(context -> {
                        assertThat(context).hasFailed();
                        assertThat(allMessages(context.getStartupFailure()))
                                .contains("verypoll server 'echo' could not bind 127.0.0.1:" + taken.getLocalPort());
                    });
        }
        assertThat(liveVerypollThreads()).isEmpty();
    }

    @Test
    void unknownServerNameInPropertiesFailsListingTheServers() {
        runner.withUserConfiguration(EchoServer.class).withPropertyValues("verypoll.servers.ecko.port=1234")
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(allMessages(context.getStartupFailure()))
                            .contains("verypoll.servers.ecko names no server; the servers are [echo]");
                });
        assertThat(liveVerypollThreads()).isEmpty();
    }

    @Test
    void unknownSettingOfAServerFailsListingTheSettings() {
        runner.withUserConfiguration(EchoServer.class).withPropertyValues("verypoll.servers.echo.prot=1234")
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(allMessages(context.getStartupFailure()))
                            .contains("verypoll.servers.echo.prot is not a server setting; the settings are [address, port,");
                });
    }

    @Test
    void nonLoopbackAddressIsRecognised() {
        assertThat(ServerSettings.defaults().with(ServerSetting.ADDRESS, "10.1.2.3").problems("x", ServerKind.TCP)).isEmpty();
        assertThat(new InetSocketAddress("127.0.0.1", 0).getAddress().isLoopbackAddress()).isTrue();
    }

    @Test
    void configurationMetadataIsGeneratedWithDescriptionsAndDefaults() throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            assertThat(in).as("generated metadata").isNotNull();
            String json = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            for (String property : List.of("verypoll.enabled", "verypoll.loops", "verypoll.events-capacity",
                    "verypoll.blocked-threshold", "verypoll.shutdown-timeout", "verypoll.servers")) {
                assertThat(com.jayway.jsonpath.JsonPath.<List<String>>read(json,
                        "$.properties[?(@.name=='" + property + "')].description")).as(property).singleElement()
                        .asString().isNotBlank();
            }
            assertThat(com.jayway.jsonpath.JsonPath.<List<Object>>read(json,
                    "$.properties[?(@.name=='verypoll.shutdown-timeout')].defaultValue")).containsExactly("20s");
        }
    }

    @Test
    void failureAnalyzerExplainsAServerThatCannotStart() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            runner.withUserConfiguration(EchoServer.class)
                    .withPropertyValues("verypoll.servers.echo.port=" + taken.getLocalPort())
                    .run(context -> {
                        var analysis = new VerypollServerStartupFailureAnalyzer().analyze(context.getStartupFailure());
                        assertThat(analysis).isNotNull();
                        assertThat(analysis.getDescription())
                                .startsWith("verypoll server 'echo' could not bind 127.0.0.1:" + taken.getLocalPort());
                        assertThat(analysis.getAction()).contains("verypoll.servers.echo.port");
                    });
        }
        // Registered for Boot's failure reporting.
        List<String> registered = new java.util.ArrayList<>();
        for (java.net.URL url : java.util.Collections.list(getClass().getClassLoader().getResources("META-INF/spring.factories"))) {
            var properties = org.springframework.core.io.support.PropertiesLoaderUtils.loadProperties(
                    new org.springframework.core.io.UrlResource(url));
            registered.add(properties.getProperty("org.springframework.boot.diagnostics.FailureAnalyzer", ""));
        }
        assertThat(registered).anyMatch(names -> names.contains(VerypollServerStartupFailureAnalyzer.class.getName()));
    }

    @Test
    void staleUnixSocketFileFailsStartupWithAnActionAboutTheFile(@TempDir Path dir) throws Exception {
        Path socketFile = Files.createFile(dir.resolve("stale.sock"));
        runner.withBean("local", UnixServer.class,
                        () -> UnixServer.builder().path(socketFile).handler((c, data) -> c.write(data)).build())
                .run(context -> {
                    assertThat(context).hasFailed();
                    var analysis = new VerypollServerStartupFailureAnalyzer().analyze(context.getStartupFailure());
                    assertThat(analysis.getDescription()).startsWith("verypoll server 'local' could not bind " + socketFile);
                    assertThat(analysis.getAction()).contains("Remove the socket file").contains("verypoll.servers.local.path");
                });
        assertThat(liveVerypollThreads()).isEmpty();
    }

    @Test
    @org.junit.jupiter.api.extension.ExtendWith(org.springframework.boot.test.system.OutputCaptureExtension.class)
    void maxConnectionsAboveTheDescriptorLimitIsAWarning(org.springframework.boot.test.system.CapturedOutput output) {
        long limit = ((com.sun.management.UnixOperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getMaxFileDescriptorCount();
        runner.withUserConfiguration(EchoServer.class)
                .withPropertyValues("verypoll.servers.echo.max-connections=" + (limit + 1))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(output).contains("verypoll servers allow " + (limit + 1) + " connections")
                            .contains("file descriptors");
                });
    }

    @Test
    @org.junit.jupiter.api.extension.ExtendWith(org.springframework.boot.test.system.OutputCaptureExtension.class)
    void shutdownTimeoutNotBelowTheLifecyclePhaseTimeoutIsAWarning(org.springframework.boot.test.system.CapturedOutput output) {
        runner.withPropertyValues("verypoll.shutdown-timeout=40s").run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(output).contains("verypoll.shutdown-timeout (PT40S) is not below spring.lifecycle.timeout-per-shutdown-phase (PT30S)");
        });
    }

    @Test
    @org.junit.jupiter.api.extension.ExtendWith(org.springframework.boot.test.system.OutputCaptureExtension.class)
    void defaultMaxConnectionsWithinTheLimitIsQuiet(org.springframework.boot.test.system.CapturedOutput output) {
        runner.withUserConfiguration(EchoServer.class).withPropertyValues("verypoll.servers.echo.max-connections=100")
                .run(context -> assertThat(output).doesNotContain("file descriptors"));
    }

    @Test
    @org.junit.jupiter.api.extension.ExtendWith(org.springframework.boot.test.system.OutputCaptureExtension.class)
    void loopbackBindIsQuiet(org.springframework.boot.test.system.CapturedOutput output) {
        runner.withUserConfiguration(EchoServer.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(output).contains("server 'echo' bound to").doesNotContain("reachable from other hosts");
        });
    }

    /** The wildcard address is bound on a free port for an instant; nothing connects to it. */
    @Test
    @org.junit.jupiter.api.extension.ExtendWith(org.springframework.boot.test.system.OutputCaptureExtension.class)
    void nonLoopbackBindIsOneWarningThatSaysHowToAcknowledgeIt(org.springframework.boot.test.system.CapturedOutput output) {
        runner.withUserConfiguration(EchoServer.class).withPropertyValues("verypoll.servers.echo.address=0.0.0.0")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(output).contains("verypoll servers reachable from other hosts (not bound to loopback): 'echo' on")
                            .contains("set verypoll.non-loopback-acknowledged=true");
                });
        int before = output.getAll().length();
        runner.withUserConfiguration(EchoServer.class).withPropertyValues("verypoll.servers.echo.address=0.0.0.0",
                "verypoll.non-loopback-acknowledged=true").run(context -> assertThat(context).hasNotFailed());
        assertThat(output.getAll().substring(before)).doesNotContain("reachable from other hosts");
    }

    static List<String> liveVerypollThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("verypoll-loop") || n.equals("verypoll-watchdog")).toList();
    }

    static String allMessages(Throwable failure) {
        StringBuilder out = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            out.append(t.getMessage()).append('\n');
            if (t instanceof org.springframework.boot.context.properties.bind.validation.BindValidationException bind) {
                bind.getValidationErrors().forEach(error -> out.append(error).append('\n'));
            }
        }
        return out.toString();
    }
}
