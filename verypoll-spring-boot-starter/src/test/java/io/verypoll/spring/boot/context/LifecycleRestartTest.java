package io.verypoll.spring.boot.context;

import io.verypoll.spring.boot.actuate.VerypollHealthIndicator;
import io.verypoll.spring.boot.autoconfigure.VerypollAutoConfiguration;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.server.CloseReason;
import io.verypoll.spring.boot.server.TcpServer;
import io.verypoll.spring.boot.server.UdpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Stop and start a context: servers bind again, port-0 servers keep their port, loops come back. */
@Timeout(60)
class LifecycleRestartTest {

    private ConfigurableApplicationContext context;

    @AfterEach
    void close() {
        if (context != null) {
            context.close();
        }
        assertThat(verypollThreads()).isEmpty();
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(VerypollAutoConfiguration.class)
    static class Servers {
        @Bean
        TcpServer echo() {
            return TcpServer.builder().handler((connection, data) -> connection.write(data)).build();
        }

        @Bean("udp-echo")
        UdpServer udpEcho() {
            return UdpServer.builder().handler((server, data, sender) -> server.send(data, sender)).build();
        }
    }

    static ConfigurableApplicationContext start(String... properties) {
        return new SpringApplicationBuilder(Servers.class).web(WebApplicationType.NONE)
                .properties("spring.main.banner-mode=off", "verypoll.loops=2")
                .properties(properties).run();
    }

    static List<String> verypollThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(name -> name.startsWith("verypoll-")).toList();
    }

    static void echoes(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout(5000);
            socket.getOutputStream().write("ping".getBytes());
            assertThat(socket.getInputStream().readNBytes(4)).isEqualTo("ping".getBytes());
        }
    }

    @Test
    void stopThenStartServesAgainOnTheSamePortWithLoopsAndCountersBack() throws Exception {
        context = start("verypoll.server-defaults.port=0", "verypoll.shutdown-timeout=1s");
        TcpServer echo = context.getBean(TcpServer.class);
        PollLoopGroup group = context.getBean(PollLoopGroup.class);
        int port = echo.port();
        assertThat(context.getEnvironment().getProperty("local.verypoll.echo.port", Integer.class)).isEqualTo(port);
        echoes(port);
        long accepted = echo.acceptedConnections();

        context.stop();
        assertThat(echo.isRunning()).isFalse();
        assertThat(group.isStopped()).isTrue();
        assertThat(verypollThreads()).doesNotContain("verypoll-loop-0", "verypoll-loop-1");
        assertThatThrownBy(() -> echoes(port)).isInstanceOf(ConnectException.class);

        context.start();
        assertThat(echo.isRunning()).isTrue();
        assertThat(echo.port()).as("a port-0 server binds its old port again").isEqualTo(port);
        assertThat(context.getEnvironment().getProperty("local.verypoll.echo.port", Integer.class)).isEqualTo(port);
        assertThat(verypollThreads()).contains("verypoll-loop-0", "verypoll-loop-1");
        echoes(port);
        assertThat(echo.acceptedConnections()).as("counters go on").isEqualTo(accepted + 1);
        assertThat(context.getBean("udp-echo", UdpServer.class).isRunning()).isTrue();
    }

    @Test
    void aPortTakenWhileStoppedIsReplacedAndRepublished() throws Exception {
        context = start("verypoll.server-defaults.port=0", "verypoll.shutdown-timeout=0s");
        TcpServer echo = context.getBean(TcpServer.class);
        int port = echo.port();
        context.stop();
        try (java.net.ServerSocket squatter = new java.net.ServerSocket()) {
            squatter.bind(new InetSocketAddress("127.0.0.1", port));
            context.start();
            assertThat(echo.port()).isNotEqualTo(port).isPositive();
            assertThat(context.getEnvironment().getProperty("local.verypoll.echo.port", Integer.class))
                    .isEqualTo(echo.port());
            echoes(echo.port());
        }
    }

    @Test
    void immediateShutdownClosesAtOnceWithoutDraining() throws Exception {
        context = start("verypoll.server-defaults.port=0", "verypoll.shutdown=immediate", "verypoll.shutdown-timeout=30s");
        TcpServer echo = context.getBean(TcpServer.class);
        try (Socket idle = new Socket()) {
            idle.connect(new InetSocketAddress("127.0.0.1", echo.port()), 2000);
            idle.setSoTimeout(5000);
            idle.getOutputStream().write(1);
            assertThat(idle.getInputStream().read()).isEqualTo(1);
            long start = System.nanoTime();
            context.close();
            // Graceful would wait for this client to close (up to the linger and shutdown timeouts).
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
            assertThat(idle.getInputStream().read()).isEqualTo(-1);
        }
        assertThat(echo.closedConnections(CloseReason.SHUTDOWN)).isEqualTo(1);
    }

    @Test
    void gracefulShutdownStopsAcceptingFirstAndReportsOutOfServiceWhileDraining() throws Exception {
        context = start("verypoll.server-defaults.port=0", "verypoll.shutdown-timeout=10s",
                "verypoll.server-defaults.linger-timeout=10s");
        TcpServer echo = context.getBean(TcpServer.class);
        VerypollLifecycle lifecycle = context.getBean(VerypollLifecycle.class);
        int port = echo.port();
        try (Socket client = new Socket()) {
            client.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            client.setSoTimeout(5000);
            client.getOutputStream().write(1);
            assertThat(client.getInputStream().read()).isEqualTo(1);
            Thread closer = new Thread(context::close, "test-close");
            closer.start();
            await().atMost(Duration.ofSeconds(5)).until(() -> lifecycle.state() == VerypollLifecycle.State.DRAINING);
            // A readiness group that includes the verypoll contributor refuses traffic from now on.
            assertThat(new VerypollHealthIndicator(context.getBean(PollLoopGroup.class), lifecycle).health().getStatus())
                    .isEqualTo(Status.OUT_OF_SERVICE);
            assertThatThrownBy(() -> echoes(port)).as("no longer accepting").isInstanceOf(IOException.class);
            // The client is told (end of stream) and the drain ends once it closes.
            assertThat(client.getInputStream().read()).isEqualTo(-1);
            client.close();
            closer.join(10_000);
            assertThat(closer.isAlive()).isFalse();
        }
        assertThat(lifecycle.state()).isEqualTo(VerypollLifecycle.State.STOPPED);
        assertThat(echo.closedConnections(CloseReason.SHUTDOWN)).isEqualTo(1);
    }
}
