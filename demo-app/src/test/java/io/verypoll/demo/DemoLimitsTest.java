package io.verypoll.demo;

import io.verypoll.spring.boot.server.CloseReason;
import io.verypoll.spring.boot.server.TcpServer;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The demo with limits set through {@code verypoll.servers.<name>.*}, plus one extra server whose
 * handler throws, to show that a handler bug costs one connection and nothing else.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE, properties = {
        "verypoll.loops=2",
        "verypoll.shutdown-timeout=0s",
        "verypoll.servers.echo.port=0",
        "verypoll.servers.chat.port=0",
        "verypoll.servers.udp-echo.port=0",
        "verypoll.servers.tls-echo.port=0",
        "verypoll.servers.resp.port=0",
        "verypoll.servers.proxy.port=0",
        "verypoll.servers.faulty.port=0",
        "verypoll.servers.echo.idle-timeout=500ms",
        "verypoll.servers.chat.max-connections=2",
        "demo.chat.max-line-bytes=16"})
@Timeout(60)
class DemoLimitsTest {

    @TestConfiguration(proxyBeanMethods = false)
    static class FaultyServer {
        @Bean
        TcpServer faulty() {
            return TcpServer.builder().port(0).handler((connection, data) -> {
                if (data.get(data.position()) == 'X') {
                    throw new IllegalStateException("a handler bug, on purpose");
                }
                connection.write(data);
            }).build();
        }
    }

    @Value("${local.verypoll.echo.port}")
    int echoPort;

    @Value("${local.verypoll.chat.port}")
    int chatPort;

    @Value("${local.verypoll.faulty.port}")
    int faultyPort;

    @Autowired
    MeterRegistry registry;

    @Autowired
    @Qualifier("echo")
    TcpServer echo;

    @Autowired
    @Qualifier("faulty")
    TcpServer faulty;

    @Autowired
    @Qualifier("chat")
    TcpServer chat;

    private static Socket connect(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    private static void assertEchoes(Socket socket, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        socket.getOutputStream().write(bytes);
        assertThat(socket.getInputStream().readNBytes(bytes.length)).isEqualTo(bytes);
    }

    @Test
    void throwingHandlerClosesOnlyItsConnection() throws Exception {
        try (Socket victim = connect(faultyPort); Socket bystander = connect(faultyPort)) {
            assertEchoes(bystander, "before");
            victim.getOutputStream().write("X marks the bug".getBytes(StandardCharsets.UTF_8));
            assertThat(victim.getInputStream().read()).isEqualTo(-1);
            assertEchoes(bystander, "after");
            await().atMost(Duration.ofSeconds(5)).until(() -> faulty.closedConnections(CloseReason.HANDLER_ERROR) == 1);
            assertThat(registry.get("verypoll.handler.errors").tag("server", "faulty")
                    .functionCounter().count()).isEqualTo(1);
            assertThat(registry.get("verypoll.handler.errors").tag("server", "echo")
                    .functionCounter().count()).isZero();
            assertThat(registry.get("verypoll.handler.errors.by.exception").tag("exception", "IllegalStateException")
                    .functionCounter().count()).isEqualTo(1);
            assertThat(faulty.activeConnections()).isEqualTo(1);
        }
    }

    @Test
    void maxConnectionsRejectsAndCounts() throws Exception {
        try (Socket first = connect(chatPort); Socket second = connect(chatPort)) {
            java.io.BufferedReader firstIn = new java.io.BufferedReader(
                    new java.io.InputStreamReader(first.getInputStream(), StandardCharsets.UTF_8));
            java.io.BufferedReader secondIn = new java.io.BufferedReader(
                    new java.io.InputStreamReader(second.getInputStream(), StandardCharsets.UTF_8));
            assertThat(firstIn.readLine()).startsWith("* welcome");
            assertThat(secondIn.readLine()).startsWith("* welcome");
            try (Socket third = connect(chatPort)) {
                assertThat(third.getInputStream().read()).isEqualTo(-1);
            }
            assertThat(registry.get("verypoll.connections.rejected").tag("server", "chat").tag("reason", "max-connections")
                    .functionCounter().count()).isEqualTo(1);
            first.getOutputStream().write("still talking\n".getBytes(StandardCharsets.UTF_8));
            assertThat(secondIn.readLine()).matches("user-\\d+: still talking");
        }
    }

    // demo.chat.max-line-bytes is the line decoder's limit and the server's max-frame-length: a line
    // of 16 bytes is said, one of 17 gets the error line and closes the connection (frame-too-long).
    @Test
    void aLineOneByteOverTheLimitClosesTheChatConnection() throws Exception {
        try (Socket member = connect(chatPort)) {
            java.io.BufferedReader in = new java.io.BufferedReader(
                    new java.io.InputStreamReader(member.getInputStream(), StandardCharsets.UTF_8));
            assertThat(in.readLine()).startsWith("* welcome");
            member.getOutputStream().write("sixteen bytes ok\r\n".getBytes(StandardCharsets.UTF_8));
            assertThat(in.readLine()).matches("user-\\d+: sixteen bytes ok");
            member.getOutputStream().write("seventeen bytes!!\n".getBytes(StandardCharsets.UTF_8));
            assertThat(in.readLine()).isEqualTo("! line too long, max 16 bytes; not sent, closing");
            assertThat(in.readLine()).isNull();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> chat.closedConnections(CloseReason.FRAME_TOO_LONG) == 1
                && chat.activeConnections() == 0);
        assertThat(registry.get("verypoll.connections.closed").tag("server", "chat").tag("reason", "frame-too-long")
                .functionCounter().count()).isEqualTo(1);
    }

    @Test
    void idleConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        try (Socket busy = connect(echoPort); Socket idle = connect(echoPort)) {
            assertEchoes(idle, "once");
            long start = System.nanoTime();
            // Keep one connection busy past the timeout: activity postpones its close.
            long until = start + Duration.ofMillis(800).toNanos();
            while (System.nanoTime() < until) {
                assertEchoes(busy, "ping");
            }
            assertThat(idle.getInputStream().read()).isEqualTo(-1);
            assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(Duration.ofMillis(400).toNanos());
            assertEchoes(busy, "still open");
            await().atMost(Duration.ofSeconds(5)).until(() -> echo.closedConnections(CloseReason.IDLE_TIMEOUT) >= 1);
            assertThat(registry.get("verypoll.connections.closed").tag("server", "echo").tag("reason", "idle-timeout")
                    .functionCounter().count()).isGreaterThanOrEqualTo(1);
        }
    }
}
