package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.server.Connection.State;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every transition of {@link Connection}'s state machine, driven by a real client over loopback:
 * OPEN, OUTPUT_SHUTTING, OUTPUT_SHUT, CLOSING, LINGERING and CLOSED, with the close reason counted by
 * the server and the bytes the client sees.
 *
 * <p>"Pending" cases write {@link #RESPONSE} (4 MiB) to a client with a 16 KiB receive buffer that
 * has not started reading: far more than the kernel buffers hold, so bytes stay pending in the
 * connection until the test lets the client read. Each handler notes what it saw in {@link #facts};
 * the client can see a close before the handler has noted the state after it, so facts are awaited.
 */
@Timeout(60)
class ConnectionStateTest {

    private static final byte[] RESPONSE = new byte[4 * 1024 * 1024];

    static {
        new Random(7).nextBytes(RESPONSE);
    }

    /** Long enough that only the client's end of stream can end lingering within a test's waits. */
    private static final Duration LONG_LINGER = Duration.ofSeconds(30);

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(2, 256, Duration.ofSeconds(2), Duration.ofMillis(200), 1024, 65_536));
    private TcpServer server;

    private final BlockingQueue<Connection> opened = new ArrayBlockingQueue<>(4);
    private final BlockingQueue<CloseReason> closes = new ArrayBlockingQueue<>(4);
    private final Map<String, Object> facts = new ConcurrentHashMap<>();
    private final AtomicInteger dataCalls = new AtomicInteger();

    @AfterEach
    void stop() {
        if (server != null) {
            server.stopAccepting(Duration.ofSeconds(2));
            server.forceClose(Duration.ofSeconds(2));
        }
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
    }

    // ---------------------------------------------------------------- helpers

    /** Captures the connection and its close reason; tests override what they exercise. */
    private class Recording implements ConnectionHandler {
        @Override
        public void onOpen(Connection connection) throws Exception {
            opened.add(connection);
        }

        @Override
        public void onData(Connection connection, ByteBuffer data) throws Exception {
            dataCalls.incrementAndGet();
        }

        @Override
        public void onClose(Connection connection, CloseReason reason) throws Exception {
            closes.add(reason);
        }
    }

    private void start(TcpServer.Builder builder, ConnectionHandler handler) throws IOException {
        server = builder.name("states").port(0).handler(handler).build();
        server.start(group);
    }

    /** A slow client: a small receive buffer, so that a large response stays pending in the server. */
    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(16 * 1024);
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    private Connection connection() throws InterruptedException {
        Connection connection = opened.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(connection).as("a connection was opened").isNotNull();
        return connection;
    }

    /** Bounded, and polled often: most conditions here hold within milliseconds. */
    private static ConditionFactory waiting() {
        return await().atMost(WAIT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10));
    }

    private void note(String key, Object value) {
        facts.put(key, value == null ? "null" : value);
    }

    private Object fact(String key) {
        waiting().until(() -> facts.containsKey(key));
        return facts.get(key);
    }

    /** Runs {@code query} on the connection's loop, where its state may be read. */
    private static <T> T onLoop(Connection connection, Supplier<T> query) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        connection.execute(() -> {
            try {
                result.complete(query.get());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        return result.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    private static State stateOf(Connection connection) throws Exception {
        return onLoop(connection, connection::state);
    }

    private static void awaitState(Connection connection, State state) {
        waiting().until(() -> stateOf(connection) == state);
    }

    /** The connection closed with {@code expected}, and the server counted it under that reason only. */
    private void assertClosedWith(CloseReason expected) throws InterruptedException {
        assertThat(closes.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).as("onClose reason").isEqualTo(expected);
        waiting().until(() -> server.activeConnections() == 0);
        for (CloseReason reason : CloseReason.values()) {
            assertThat(server.closedConnections(reason)).as("closed with %s", reason)
                    .isEqualTo(reason == expected ? 1 : 0);
        }
        assertThat(server.pendingBytes()).isZero();
    }

    /** Everything up to the end of stream, or up to a reset: what arrived before it counts. */
    private static byte[] readUntilEndOrReset(InputStream in) throws IOException {
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        byte[] buffer = new byte[64 * 1024];
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                received.write(buffer, 0, n);
            }
        } catch (SocketException e) {
            // Connection reset: the server dropped the connection with bytes still unsent or unread.
        }
        return received.toByteArray();
    }

    private static void assertWholeResponse(byte[] received) {
        assertThat(received.length).isEqualTo(RESPONSE.length);
        assertThat(Arrays.mismatch(received, RESPONSE)).as("first differing byte").isEqualTo(-1);
    }

    /** Fewer bytes than the response, and exactly its beginning: the pending rest was dropped. */
    private static void assertTruncatedResponse(byte[] received) {
        assertThat(received.length).isLessThan(RESPONSE.length);
        assertThat(Arrays.mismatch(received, Arrays.copyOf(RESPONSE, received.length))).isEqualTo(-1);
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** Settings under which 4 MiB pending never pause reading, so input keeps reaching the handler. */
    private static TcpServer.Builder neverPausing() {
        return TcpServer.builder().maxPendingBytes(32L * 1024 * 1024).watermarks(8 * 1024 * 1024, 16 * 1024 * 1024)
                .lingerTimeout(LONG_LINGER);
    }

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
