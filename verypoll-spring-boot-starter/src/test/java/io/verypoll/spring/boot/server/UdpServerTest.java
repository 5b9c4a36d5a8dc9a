package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.PollLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** UDP servers over loopback, without Spring. */
@Timeout(30)
class UdpServerTest {

    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(2, 64, Duration.ofSeconds(2), Duration.ofSeconds(1), 64, 65_536));
    private UdpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stopAccepting(Duration.ofSeconds(2));
        }
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
    }

    private static byte[] exchange(DatagramSocket socket, int port, String text) throws Exception {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        socket.send(new DatagramPacket(payload, payload.length, InetAddress.getLoopbackAddress(), port));
        DatagramPacket reply = new DatagramPacket(new byte[2048], 2048);
        socket.receive(reply);
        return java.util.Arrays.copyOf(reply.getData(), reply.getLength());
    }

    @Test
    void handlerExceptionIsCountedAndTheSocketKeepsServing() throws Exception {
        server = UdpServer.builder().name("udp").port(0).handler((udp, data, sender) -> {
            if (data.get(data.position()) == '!') {
                throw new IllegalArgumentException("bad datagram");
            }
            udp.send(data, sender);
        }).build();
        server.start(group);
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            socket.setSoTimeout(2000);
            assertThat(new String(exchange(socket, server.port(), "one"), StandardCharsets.UTF_8)).isEqualTo("one");
            byte[] bad = "!".getBytes(StandardCharsets.UTF_8);
            socket.send(new DatagramPacket(bad, 1, InetAddress.getLoopbackAddress(), server.port()));
            await().atMost(Duration.ofSeconds(5)).until(() -> group.handlerErrors().count(IllegalArgumentException.class) == 1);
            assertThat(server.handlerErrors()).isEqualTo(1);
            assertThat(server.loop().stats().handlerErrors()).isEqualTo(1);
            assertThat(new String(exchange(socket, server.port(), "two"), StandardCharsets.UTF_8)).isEqualTo("two");
        }
        // Counted by the loop right after the send returns, so possibly just after the reply arrived.
        await().atMost(Duration.ofSeconds(5)).until(() -> server.datagramsSent() == 2 && server.bytesSent() == 6);
        assertThat(server.datagramsReceived()).isEqualTo(3);
    }

    /**
     * A reply to a port nobody listens on comes back as an ICMP port unreachable, which Linux
     * queues on the server's socket (RFC 1122) as an error for its next receive: the server must go
     * on receiving, whoever sent the datagrams that follow.
     */
    @Test
    void anUnreachablePeerDoesNotDeafenTheServer() throws Exception {
        server = UdpServer.builder().name("udp").port(0).handler((udp, data, sender) -> udp.send(data, sender)).build();
        server.start(group);
        java.net.InetSocketAddress gone;
        try (DatagramSocket closed = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            gone = (java.net.InetSocketAddress) closed.getLocalSocketAddress();
        }
        try (java.nio.channels.DatagramChannel ghost = java.nio.channels.DatagramChannel.open()) {
            // Sent from the dead port's number, so the server's reply goes to nobody.
            ghost.bind(gone);
            ghost.send(java.nio.ByteBuffer.wrap("to nobody".getBytes(StandardCharsets.UTF_8)), server.boundAddress());
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> server.datagramsSent() == 1);
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            socket.setSoTimeout(2000);
            for (int i = 0; i < 5; i++) {
                assertThat(new String(exchange(socket, server.port(), "after " + i), StandardCharsets.UTF_8))
                        .isEqualTo("after " + i);
            }
        }
        assertThat(server.datagramsReceived()).isEqualTo(6);
    }

    @Test
    void stoppedServerNoLongerAnswersAndSendIsLoopOnly() throws Exception {
        server = UdpServer.builder().name("udp").port(0).handler((udp, data, sender) -> udp.send(data, sender)).build();
        server.start(group);
        assertThatThrownBy(() -> server.send(java.nio.ByteBuffer.allocate(1), server.boundAddress()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("verypoll-loop-");
        int port = server.port();
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            socket.setSoTimeout(300);
            assertThat(exchange(socket, port, "x")).hasSize(1);
            server.stopAccepting(Duration.ofSeconds(2));
            assertThat(server.isRunning()).isFalse();
            assertThatThrownBy(() -> exchange(socket, port, "y"))
                    .isInstanceOfAny(SocketTimeoutException.class, java.net.PortUnreachableException.class);
        }
    }
}
