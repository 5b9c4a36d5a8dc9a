package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.server.Connection.State;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Closing a connection: gracefully, with bytes pending, while paused, abortively, by the limits. */
class ConnectionCloseTest extends ConnectionStateFixture {

    // ---------------------------------------------------------------- OPEN → LINGERING → CLOSED

    @Test
    void closeWithNothingPendingSendsTheEndOfStreamAndLingersUntilTheClientCloses() throws Exception {
        start(TcpServer.builder().lingerTimeout(LONG_LINGER), new Recording() {
            @Override
            public void onData(Connection c, ByteBuffer data) throws Exception {
                super.onData(c, data);
                note("before", c.state());
                c.close();
                note("after", c.state());
            }
        });
        try (Socket socket = connect()) {
            Connection connection = connection();
            socket.getOutputStream().write('x');
            assertThat(socket.getInputStream().read()).as("the server's end of stream").isEqualTo(-1);
            assertThat(fact("before")).isEqualTo(State.OPEN);
            assertThat(fact("after")).isEqualTo(State.LINGERING);
            // Lingering: still open, waiting for the client; what it sends now is read and discarded.
            assertThat(stateOf(connection)).isEqualTo(State.LINGERING);
            assertThat(server.activeConnections()).isEqualTo(1);
            socket.getOutputStream().write(new byte[10_000]);
            socket.shutdownOutput();
            assertClosedWith(CloseReason.LOCAL);
            assertThat(stateOf(connection)).isEqualTo(State.CLOSED);
            assertThat(onLoop(connection, connection::closeReason)).isEqualTo(CloseReason.LOCAL);
        }
        assertThat(dataCalls.get()).isEqualTo(1);
        assertThat(server.bytesReceived()).as("discarded input is not counted as received").isEqualTo(1);
    }

    @Test
    void writesAfterCloseAreRefusedAndTheConnectionStaysOpenUntilTheCloseCompletes() throws Exception {
        start(TcpServer.builder().lingerTimeout(LONG_LINGER), new Recording() {
            @Override
            public void onData(Connection c, ByteBuffer data) throws Exception {
                super.onData(c, data);
                c.write(ascii("before"));
                c.close();
                note("write", c.write(ascii("after")));
                note("isOpen", c.isOpen());
                note("isWritable", c.isWritable());
                note("closeReason", c.closeReason());
            }
        });
        try (Socket socket = connect()) {
            Connection connection = connection();
            socket.getOutputStream().write('x');
            assertThat(socket.getInputStream().readAllBytes()).isEqualTo(ascii("before"));
            assertThat(fact("write")).isEqualTo(false);
            assertThat(fact("isOpen")).isEqualTo(true);
            assertThat(fact("isWritable")).isEqualTo(false);
            assertThat(fact("closeReason")).isEqualTo("null");
            assertThat(onLoop(connection, connection::isOpen)).isTrue();
            assertThat(onLoop(connection, () -> connection.write(ascii("still not")))).isFalse();
            socket.close();
            assertClosedWith(CloseReason.LOCAL);
            assertThat(onLoop(connection, connection::isOpen)).isFalse();
            assertThat(onLoop(connection, () -> connection.write(ascii("never")))).isFalse();
            assertThat(onLoop(connection, connection::pendingBytes)).isZero();
        }
        assertThat(server.bytesSent()).isEqualTo(ascii("before").length);
    }

    // ---------------------------------------------------------------- OPEN → CLOSING → LINGERING → CLOSED

    @Test
    void closeWithBytesPendingSendsThemAllThenTheEndOfStream() throws Exception {
        start(TcpServer.builder().maxPendingBytes(32L * 1024 * 1024).lingerTimeout(LONG_LINGER), new Recording() {
            @Override
            public void onData(Connection c, ByteBuffer data) throws Exception {
                super.onData(c, data);
                c.write(RESPONSE);
                note("pending", c.pendingBytes());
                c.close();
                note("after", c.state());
                note("write", c.write(ascii("late")));
                note("isOpen", c.isOpen());
            }
        });
        try (Socket socket = connect()) {
            Connection connection = connection();
            socket.getOutputStream().write('x');
            assertThat((Long) fact("pending")).as("the premise: bytes are pending").isPositive();
            assertThat(fact("after")).isEqualTo(State.CLOSING);
            assertThat(fact("write")).isEqualTo(false);
            assertThat(fact("isOpen")).isEqualTo(true);
            // The client has read nothing yet, so the close cannot have finished sending.
            assertThat(stateOf(connection)).isEqualTo(State.CLOSING);
            assertThat(onLoop(connection, connection::pendingBytes)).isPositive();

            assertWholeResponse(socket.getInputStream().readAllBytes());
            awaitState(connection, State.LINGERING);
            assertThat(server.activeConnections()).isEqualTo(1);
            socket.close();
            assertClosedWith(CloseReason.LOCAL);
        }
        assertThat(server.bytesSent()).isEqualTo(RESPONSE.length);
    }

    @Test
    void theClientsEndOfStreamWhileClosingEndsTheCloseAsSoonAsEverythingIsSent() throws Exception {
        AtomicInteger readClosedCalls = new AtomicInteger();
        start(TcpServer.builder().maxPendingBytes(32L * 1024 * 1024).lingerTimeout(LONG_LINGER), new Recording() {
            @Override
            public void onData(Connection c, ByteBuffer data) throws Exception {
                super.onData(c, data);
                c.write(RESPONSE);
                c.close();
                note("after", c.state());
            }

            @Override
            public void onReadClosed(Connection c) {
                readClosedCalls.incrementAndGet();
            }
        });
        try (Socket socket = connect()) {
            Connection connection = connection();
            socket.getOutputStream().write('x');
            socket.shutdownOutput(); // arrives while the server is CLOSING
            assertThat(fact("after")).isEqualTo(State.CLOSING);
            assertWholeResponse(socket.getInputStream().readAllBytes());
            // No lingering: the client's end of stream was already read, so the socket stays open here.
            assertClosedWith(CloseReason.LOCAL);
            assertThat(stateOf(connection)).isEqualTo(State.CLOSED);
        }
        assertThat(readClosedCalls.get()).as("a closing connection hands no end of stream to the handler").isZero();
    }

    // ---------------------------------------------------------------- closing while reading is paused

    @Test
    void closeWhileReadingIsPausedStillDiscardsInputAndEndsWhenTheClientCloses() throws Exception {
        start(TcpServer.builder().lingerTimeout(LONG_LINGER), new Recording() {
            @Override
            public void onOpen(Connection c) throws Exception {
                c.pauseReading();
                super.onOpen(c);
            }
        });
        try (Socket socket = connect()) {
            Connection connection = connection();
            socket.getOutputStream().write(new byte[1_000]); // held back by the pause
            assertThat(onLoop(connection, () -> {
                connection.close();
                return connection.state();
            })).isEqualTo(State.LINGERING);
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
            // The pause must not keep the close from reading: the client's end of stream ends it, long
            // before the linger timeout.
            socket.getOutputStream().write(new byte[1_000]);
            socket.shutdownOutput();
            assertClosedWith(CloseReason.LOCAL);
        }
        assertThat(dataCalls.get()).isZero();
        assertThat(server.bytesReceived()).isZero();
    }

    @Test
    void closeWhilePausedWithBytesPendingDrainsThemAndEndsWhenTheClientCloses() throws Exception {
        start(TcpServer.builder().maxPendingBytes(32L * 1024 * 1024).lingerTimeout(LONG_LINGER), new Recording() {
            @Override
            public void onOpen(Connection c) throws Exception {
                c.pauseReading();
                c.write(RESPONSE);
                note("pending", c.pendingBytes());
                super.onOpen(c);
            }
        });
        try (Socket socket = connect()) {
            Connection connection = connection();
            assertThat((Long) fact("pending")).as("the premise: bytes are pending").isPositive();
            socket.getOutputStream().write(new byte[50_000]); // unread because of the pause
            assertThat(onLoop(connection, () -> {
                connection.close();
                return connection.state();
            })).isEqualTo(State.CLOSING);
            assertWholeResponse(socket.getInputStream().readAllBytes());
            awaitState(connection, State.LINGERING);
            socket.shutdownOutput();
            assertClosedWith(CloseReason.LOCAL);
        }
        assertThat(dataCalls.get()).isZero();
    }

    // ---------------------------------------------------------------- abortive closes

    @Test
    void closeNowDropsPendingBytes() throws Exception {
        start(TcpServer.builder().maxPendingBytes(32L * 1024 * 1024), new Recording() {
            @Override
            public void onData(Connection c, ByteBuffer data) throws Exception {
                super.onData(c, data);
                c.write(RESPONSE);
                note("pending", c.pendingBytes());
                c.closeNow();
                note("after", c.state());
                note("isOpen", c.isOpen());
                note("closeReason", c.closeReason());
                note("pendingAfter", c.pendingBytes());
                note("write", c.write(ascii("late")));
            }
        });
        try (Socket socket = connect()) {
            connection();
            socket.getOutputStream().write('x');
            assertThat((Long) fact("pending")).as("the premise: bytes are pending").isPositive();
            assertTruncatedResponse(readUntilEndOrReset(socket.getInputStream()));
            assertThat(fact("after")).isEqualTo(State.CLOSED);
            assertThat(fact("isOpen")).isEqualTo(false);
            assertThat(fact("closeReason")).isEqualTo(CloseReason.LOCAL);
            assertThat(fact("pendingAfter")).isEqualTo(0L);
            assertThat(fact("write")).isEqualTo(false);
            assertClosedWith(CloseReason.LOCAL);
        }
    }

    // With the client's byte read, closeNow ends the stream; abort resets it all the same.
    @Test
    void abortResetsThePeerEvenWithNothingUnread() throws Exception {
        start(TcpServer.builder(), new Recording() {
            @Override
            public void onData(Connection c, ByteBuffer data) throws Exception {
                super.onData(c, data);
                c.write(ascii("bye"));
                c.abort();
                note("after", c.state());
                note("closeReason", c.closeReason());
                note("write", c.write(ascii("late")));
            }
        });
        try (Socket socket = connect()) {
            connection();
            socket.getOutputStream().write('x');
            Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> {
                while (socket.getInputStream().read() >= 0) {
                    // what came before the reset, if anything
                }
            });
            assertThat(thrown).as("the client's read").isInstanceOf(java.net.SocketException.class)
                    .hasMessageContaining("Connection reset");
            assertThat(fact("after")).isEqualTo(State.CLOSED);
            assertThat(fact("closeReason")).isEqualTo(CloseReason.LOCAL);
            assertThat(fact("write")).isEqualTo(false);
            assertClosedWith(CloseReason.LOCAL);
        }
    }

    @Test
    void aHandlerErrorDuringAGracefulCloseAbandonsItWithHandlerError() throws Exception {
        start(TcpServer.builder().maxPendingBytes(32L * 1024 * 1024).lingerTimeout(LONG_LINGER), new Recording() {
            @Override
            public void onData(Connection c, ByteBuffer data) throws Exception {
                super.onData(c, data);
                c.write(RESPONSE);
                note("pending", c.pendingBytes());
                c.close();
                note("closing", c.state());
                throw new IllegalStateException("thrown while closing");
            }
        });
        try (Socket socket = connect()) {
            connection();
            socket.getOutputStream().write('x');
            assertThat((Long) fact("pending")).as("the premise: bytes are pending").isPositive();
            assertThat(fact("closing")).isEqualTo(State.CLOSING);
            // The error turns the graceful close into an abortive one: the pending rest is dropped.
            assertTruncatedResponse(readUntilEndOrReset(socket.getInputStream()));
            assertClosedWith(CloseReason.HANDLER_ERROR);
        }
        assertThat(group.handlerErrors().count(IllegalStateException.class)).isEqualTo(1);
    }

    /**
     * While CLOSING or LINGERING no handler callback runs except onClose: input is discarded, the
     * peer's end of stream is not handed on, and onWritable is only called while OPEN. onClose runs
     * when the state is already CLOSED, so its error is counted and logged but changes no reason.
     */
    @Test
    void onCloseThrowingAfterAGracefulCloseIsOnlyCounted() throws Exception {
        start(TcpServer.builder().lingerTimeout(LONG_LINGER), new Recording() {
            @Override
            public void onData(Connection c, ByteBuffer data) throws Exception {
                super.onData(c, data);
                if (data.get(data.position()) == 'c') {
                    c.close();
                } else {
                    c.write(data);
                }
            }

            @Override
            public void onClose(Connection c, CloseReason reason) throws Exception {
                super.onClose(c, reason);
                throw new UnsupportedOperationException("thrown from onClose");
            }
        });
        try (Socket socket = connect()) {
            connection();
            socket.getOutputStream().write('c');
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
            socket.shutdownOutput();
            assertClosedWith(CloseReason.LOCAL);
        }
        waiting().until(() -> group.handlerErrors().count(UnsupportedOperationException.class) == 1);
        assertThat(server.closedConnections(CloseReason.HANDLER_ERROR)).isZero();
        // The loops go on serving.
        try (Socket socket = connect()) {
            socket.getOutputStream().write('e');
            assertThat(socket.getInputStream().read()).isEqualTo('e');
        }
    }

    @Test
    void aHandlerErrorWhileHalfClosedClosesWithHandlerError() throws Exception {
        start(TcpServer.builder().lingerTimeout(LONG_LINGER), new Recording() {
            @Override
            public void onData(Connection c, ByteBuffer data) throws Exception {
                if (dataCalls.incrementAndGet() == 1) {
                    c.shutdownOutput();
                    return;
                }
                note("throwing", c.state());
                throw new IllegalArgumentException("thrown while half closed");
            }
        });
        try (Socket socket = connect()) {
            Connection connection = connection();
            socket.getOutputStream().write('q');
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
            awaitState(connection, State.OUTPUT_SHUT);
            socket.getOutputStream().write('x');
            assertThat(fact("throwing")).isEqualTo(State.OUTPUT_SHUT);
            assertClosedWith(CloseReason.HANDLER_ERROR);
        }
        assertThat(group.handlerErrors().count(IllegalArgumentException.class)).isEqualTo(1);
    }

    // ---------------------------------------------------------------- limits

    @Test
    void idleTimeoutClosesWithIdleTimeout() throws Exception {
        start(TcpServer.builder().idleTimeout(Duration.ofMillis(300)), new Recording());
        try (Socket socket = connect()) {
            long start = System.nanoTime();
            Connection connection = connection();
            assertThat(stateOf(connection)).isEqualTo(State.OPEN);
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
            assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(Duration.ofMillis(250).toNanos());
            assertClosedWith(CloseReason.IDLE_TIMEOUT);
        }
    }

    @Test
    void aGracefulCloseStuckOnAClientThatDoesNotReadEndsAtTheIdleTimeout() throws Exception {
        start(TcpServer.builder().maxPendingBytes(32L * 1024 * 1024).idleTimeout(Duration.ofMillis(300))
                .lingerTimeout(LONG_LINGER), new Recording() {
                    @Override
                    public void onData(Connection c, ByteBuffer data) throws Exception {
                        super.onData(c, data);
                        c.write(RESPONSE);
                        note("pending", c.pendingBytes());
                        c.close();
                        note("closing", c.state());
                    }
                });
        try (Socket socket = connect()) {
            connection();
            socket.getOutputStream().write('x');
            assertThat((Long) fact("pending")).as("the premise: bytes are pending").isPositive();
            assertThat(fact("closing")).isEqualTo(State.CLOSING);
            // The client reads nothing: the close cannot finish and the idle timeout ends it.
            assertClosedWith(CloseReason.IDLE_TIMEOUT);
            assertTruncatedResponse(readUntilEndOrReset(socket.getInputStream()));
        }
    }

    @Test
    void passingMaxPendingBytesClosesWithPendingCap() throws Exception {
        byte[] chunk = new byte[32 * 1024];
        new Random(3).nextBytes(chunk);
        start(TcpServer.builder().watermarks(8 * 1024, 16 * 1024).maxPendingBytes(256 * 1024), new Recording() {
            @Override
            public void onOpen(Connection c) throws Exception {
                super.onOpen(c);
                int writes = 0;
                boolean lastWrite = true;
                // Far more than the cap, at a client that reads nothing; bounded by count.
                while (c.isOpen() && writes < 1_024) {
                    lastWrite = c.write(chunk);
                    writes++;
                }
                note("lastWrite", lastWrite);
                note("writes", writes);
                note("state", c.state());
                note("closeReason", c.closeReason());
            }
        });
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
        socket.setSoTimeout(10_000);
        try (socket) {
            assertThat(fact("state")).isEqualTo(State.CLOSED);
            assertThat(fact("lastWrite")).isEqualTo(false);
            assertThat((Integer) fact("writes")).isLessThan(1_024);
            assertThat(fact("closeReason")).isEqualTo(CloseReason.PENDING_CAP);
            assertClosedWith(CloseReason.PENDING_CAP);
            // What the client gets is whole chunks' worth of the stream, cut short.
            byte[] received = readUntilEndOrReset(socket.getInputStream());
            assertThat(received.length).isLessThan(1_024 * chunk.length);
            for (int i = 0; i < received.length; i++) {
                if (received[i] != chunk[i % chunk.length]) {
                    throw new AssertionError("byte " + i + " differs from the stream written");
                }
            }
        }
    }

    // ---------------------------------------------------------------- linger timeout 0

    @Test
    void lingerTimeoutZeroClosesRightAfterTheEndOfStream() throws Exception {
        start(TcpServer.builder().lingerTimeout(Duration.ZERO), new Recording() {
            @Override
            public void onData(Connection c, ByteBuffer data) throws Exception {
                super.onData(c, data);
                c.write(ascii("bye"));
                c.close();
                note("after", c.state());
            }
        });
        try (Socket socket = connect()) {
            connection();
            socket.getOutputStream().write('x');
            assertThat(socket.getInputStream().readAllBytes()).isEqualTo(ascii("bye"));
            assertThat(fact("after")).isEqualTo(State.CLOSED);
            // Closed although the client's side is still open.
            assertClosedWith(CloseReason.LOCAL);
        }
    }

    @Test
    void lingerTimeoutZeroWithBytesPendingClosesAsSoonAsTheyAreSent() throws Exception {
        start(TcpServer.builder().maxPendingBytes(32L * 1024 * 1024).lingerTimeout(Duration.ZERO), new Recording() {
            @Override
            public void onData(Connection c, ByteBuffer data) throws Exception {
                super.onData(c, data);
                c.write(RESPONSE);
                note("pending", c.pendingBytes());
                c.close();
                note("after", c.state());
            }
        });
        try (Socket socket = connect()) {
            Connection connection = connection();
            socket.getOutputStream().write('x');
            assertThat((Long) fact("pending")).as("the premise: bytes are pending").isPositive();
            assertThat(fact("after")).isEqualTo(State.CLOSING);
            assertThat(stateOf(connection)).isEqualTo(State.CLOSING);
            assertWholeResponse(socket.getInputStream().readAllBytes());
            assertClosedWith(CloseReason.LOCAL);
        }
    }
}
