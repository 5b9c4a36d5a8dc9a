package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.server.Connection.State;

import org.junit.jupiter.api.Test;

import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/** Half-closes: the output shut first, or the peer's end of stream first. */
class ConnectionHalfCloseTest extends ConnectionStateFixture {

    // ---------------------------------------------------------------- OPEN → OUTPUT_SHUTTING → OUTPUT_SHUT → CLOSED

    @Test
    void shutdownOutputWithBytesPendingSendsThemThenTheEndOfStreamWhileInputStillArrives() throws Exception {
        Map<State, StringBuffer> input = new ConcurrentHashMap<>();
        start(neverPausing(), new Recording() {
            @Override
            public void onData(Connection c, ByteBuffer data) throws Exception {
                if (dataCalls.incrementAndGet() == 1) {
                    c.write(RESPONSE);
                    note("pending", c.pendingBytes());
                    c.shutdownOutput();
                    note("after", c.state());
                    note("write", c.write(ascii("late")));
                    note("isOpen", c.isOpen());
                    return;
                }
                input.computeIfAbsent(c.state(), s -> new StringBuffer())
                        .append(StandardCharsets.US_ASCII.decode(data));
            }
        });
        try (Socket socket = connect()) {
            Connection connection = connection();
            socket.getOutputStream().write('q');
            assertThat((Long) fact("pending")).as("the premise: bytes are pending").isPositive();
            assertThat(fact("after")).isEqualTo(State.OUTPUT_SHUTTING);
            assertThat(fact("write")).isEqualTo(false);
            assertThat(fact("isOpen")).isEqualTo(true);

            // Input still reaches the handler while the output drains...
            socket.getOutputStream().write(ascii("during"));
            waiting().until(() -> String.valueOf(input.get(State.OUTPUT_SHUTTING)).equals("during"));
            assertWholeResponse(socket.getInputStream().readAllBytes());
            awaitState(connection, State.OUTPUT_SHUT);
            // ...and after the end of stream went out.
            socket.getOutputStream().write(ascii("after"));
            waiting().until(() -> String.valueOf(input.get(State.OUTPUT_SHUT)).equals("after"));
            assertThat(server.activeConnections()).isEqualTo(1);

            socket.shutdownOutput();
            assertClosedWith(CloseReason.PEER_CLOSED);
        }
        assertThat(server.bytesSent()).isEqualTo(RESPONSE.length);
        assertThat(server.bytesReceived()).isEqualTo(1 + "during".length() + "after".length());
    }

    @Test
    void theClientsEndOfStreamWhileOutputIsShuttingClosesOnceTheOutputIsDone() throws Exception {
        start(neverPausing(), new Recording() {
            @Override
            public void onData(Connection c, ByteBuffer data) throws Exception {
                super.onData(c, data);
                c.write(RESPONSE);
                note("pending", c.pendingBytes());
                c.shutdownOutput();
            }

            @Override
            public void onReadClosed(Connection c) {
                // Overridden to do nothing: the connection closes by itself once both sides are done.
                note("readClosed", c.state());
            }
        });
        try (Socket socket = connect()) {
            Connection connection = connection();
            socket.getOutputStream().write('x');
            socket.shutdownOutput();
            assertThat((Long) fact("pending")).as("the premise: bytes are pending").isPositive();
            assertThat(fact("readClosed")).isEqualTo(State.OUTPUT_SHUTTING);
            assertThat(stateOf(connection)).isEqualTo(State.OUTPUT_SHUTTING);
            assertWholeResponse(socket.getInputStream().readAllBytes());
            assertClosedWith(CloseReason.PEER_CLOSED);
        }
    }

    @Test
    void theDefaultOnReadClosedWhileOutputIsShuttingClosesGracefullyAsPeerClosed() throws Exception {
        start(neverPausing(), new Recording() {
            @Override
            public void onData(Connection c, ByteBuffer data) throws Exception {
                super.onData(c, data);
                c.write(RESPONSE);
                note("pending", c.pendingBytes());
                c.shutdownOutput();
            }

            @Override
            public void onReadClosed(Connection c) throws Exception {
                note("readClosed", c.state());
                super.onReadClosed(c); // the default: close()
                note("afterClose", c.state());
            }
        });
        try (Socket socket = connect()) {
            connection();
            socket.getOutputStream().write('x');
            socket.shutdownOutput();
            assertThat((Long) fact("pending")).as("the premise: bytes are pending").isPositive();
            assertThat(fact("readClosed")).isEqualTo(State.OUTPUT_SHUTTING);
            assertThat(fact("afterClose")).isEqualTo(State.CLOSING);
            assertWholeResponse(socket.getInputStream().readAllBytes());
            assertClosedWith(CloseReason.PEER_CLOSED);
        }
    }

    @Test
    void closeWhileOutputIsShuttingBecomesAClose() throws Exception {
        start(neverPausing(), new Recording() {
            @Override
            public void onData(Connection c, ByteBuffer data) throws Exception {
                if (dataCalls.incrementAndGet() == 1) {
                    c.write(RESPONSE);
                    note("pending", c.pendingBytes());
                    c.shutdownOutput();
                    note("shutting", c.state());
                } else {
                    c.close();
                    note("closing", c.state());
                }
            }
        });
        try (Socket socket = connect()) {
            Connection connection = connection();
            socket.getOutputStream().write('q');
            assertThat((Long) fact("pending")).as("the premise: bytes are pending").isPositive();
            assertThat(fact("shutting")).isEqualTo(State.OUTPUT_SHUTTING);
            socket.getOutputStream().write('c');
            assertThat(fact("closing")).isEqualTo(State.CLOSING);
            assertWholeResponse(socket.getInputStream().readAllBytes());
            awaitState(connection, State.LINGERING);
            socket.close();
            assertClosedWith(CloseReason.LOCAL);
        }
        assertThat(dataCalls.get()).isEqualTo(2);
    }

    @Test
    void shutdownOutputWithNothingPendingThenCloseLingers() throws Exception {
        start(TcpServer.builder().lingerTimeout(LONG_LINGER), new Recording() {
            @Override
            public void onData(Connection c, ByteBuffer data) throws Exception {
                if (dataCalls.incrementAndGet() == 1) {
                    c.write(ascii("half"));
                    c.shutdownOutput();
                    note("shut", c.state());
                    c.shutdownOutput(); // a second shutdown changes nothing
                    note("shutAgain", c.state());
                } else {
                    note("data", c.state());
                    c.close();
                    note("closed", c.state());
                }
            }
        });
        try (Socket socket = connect()) {
            Connection connection = connection();
            socket.getOutputStream().write('q');
            assertThat(socket.getInputStream().readAllBytes()).isEqualTo(ascii("half"));
            assertThat(fact("shut")).isEqualTo(State.OUTPUT_SHUT);
            assertThat(fact("shutAgain")).isEqualTo(State.OUTPUT_SHUT);
            socket.getOutputStream().write('c');
            assertThat(fact("data")).isEqualTo(State.OUTPUT_SHUT);
            // The end of stream is already out: close goes straight to lingering.
            assertThat(fact("closed")).isEqualTo(State.LINGERING);
            assertThat(stateOf(connection)).isEqualTo(State.LINGERING);
            socket.shutdownOutput();
            assertClosedWith(CloseReason.LOCAL);
        }
    }

    // ---------------------------------------------------------------- the peer's end of stream while OPEN

    @Test
    void thePeersEndOfStreamWhileOpenCallsOnReadClosedWhoseDefaultClosesAsPeerClosed() throws Exception {
        start(TcpServer.builder().lingerTimeout(LONG_LINGER), new Recording() {
            @Override
            public void onData(Connection c, ByteBuffer data) throws Exception {
                super.onData(c, data);
                c.write(data);
            }

            @Override
            public void onReadClosed(Connection c) throws Exception {
                note("readClosed", c.state());
                super.onReadClosed(c);
                note("afterClose", c.state());
            }
        });
        try (Socket socket = connect()) {
            connection();
            socket.getOutputStream().write(ascii("hi"));
            assertThat(socket.getInputStream().readNBytes(2)).isEqualTo(ascii("hi"));
            socket.shutdownOutput();
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
            assertThat(fact("readClosed")).isEqualTo(State.OPEN);
            // Both sides are done: no lingering.
            assertThat(fact("afterClose")).isEqualTo(State.CLOSED);
            assertClosedWith(CloseReason.PEER_CLOSED);
        }
    }

    @Test
    void anOverridingOnReadClosedKeepsWritingOnTheHalfClosedConnection() throws Exception {
        start(TcpServer.builder().lingerTimeout(LONG_LINGER), new Recording() {
            @Override
            public void onReadClosed(Connection c) {
                note("readClosed", c.state());
                note("firstWrite", c.write(ascii("A")));
                // Later, from a task: the connection is still open for writing.
                c.loop().schedule(Duration.ofMillis(50), () -> {
                    note("later", c.state());
                    note("secondWrite", c.write(ascii("B")));
                    c.close();
                    note("afterClose", c.state());
                });
            }
        });
        try (Socket socket = connect()) {
            connection();
            socket.getOutputStream().write('x');
            socket.shutdownOutput();
            assertThat(socket.getInputStream().readAllBytes()).isEqualTo(ascii("AB"));
            assertThat(fact("readClosed")).isEqualTo(State.OPEN);
            assertThat(fact("firstWrite")).isEqualTo(true);
            assertThat(fact("later")).isEqualTo(State.OPEN);
            assertThat(fact("secondWrite")).isEqualTo(true);
            assertThat(fact("afterClose")).isEqualTo(State.CLOSED);
            assertClosedWith(CloseReason.PEER_CLOSED);
        }
    }
}
