package io.verypoll.spring.boot.context.paused;

import io.verypoll.spring.boot.context.LocalVerypollPort;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestClassOrder;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two {@code @SpringBootTest} configurations in one run, as a project with several test classes has
 * them: the TestContext framework pauses the first cached context (stops its pauseable lifecycle
 * beans) when the second is used, and starts it again when a later class needs it. The servers must
 * stop and start with it ("server 'echo' is already started" broke such suites before).
 */
@TestClassOrder(ClassOrderer.OrderAnnotation.class)
@Timeout(60)
class PausedContextTests {

    static String send(int port, String text) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(text.getBytes());
            return new String(socket.getInputStream().readNBytes(text.length()));
        }
    }

    @Nested
    @Order(1)
    @SpringBootTest(classes = EchoApplication.class,
            properties = {"verypoll.server-defaults.port=0", "verypoll.loops=1", "verypoll.shutdown-timeout=0s"})
    class FirstEcho {
        @LocalVerypollPort("echo")
        int port;

        @Test
        void echoes() throws IOException {
            assertThat(send(port, "one")).isEqualTo("one");
            assertThat(EchoApplication.STARTS).hasSize(1);
        }
    }

    @Nested
    @Order(2)
    @SpringBootTest(classes = OtherApplication.class,
            properties = {"verypoll.server-defaults.port=0", "verypoll.loops=1", "verypoll.shutdown-timeout=0s"})
    class ThenAnotherConfiguration {
        @LocalVerypollPort
        int port;

        @Test
        void servesItsOwnServer() throws IOException {
            assertThat(send(port, "two")).isEqualTo("TWO");
        }
    }

    @Nested
    @Order(3)
    @DirtiesContext // closed after: other test classes count verypoll threads (the paused one has none)
    @SpringBootTest(classes = EchoApplication.class,
            properties = {"verypoll.server-defaults.port=0", "verypoll.loops=1", "verypoll.shutdown-timeout=0s"})
    class ThenTheFirstAgain {
        @LocalVerypollPort("echo")
        int port;

        @Test
        void theResumedContextServesAgainOnItsPort() throws IOException {
            assertThat(send(port, "three")).isEqualTo("three");
            // Started, paused (stopped) while the other context ran, started again on the same port.
            assertThat(EchoApplication.STARTS).hasSize(2);
            assertThat(EchoApplication.STARTS.get(1)).isEqualTo(EchoApplication.STARTS.get(0)).isEqualTo(port);
        }
    }
}
