package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.server.Connection.State;

import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
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
 * What the tests of {@link Connection}'s state machine share: a server on two loops, a slow client, the
 * handler's notes and the close reasons the server counted. The tests drive every transition over
 * loopback: OPEN, OUTPUT_SHUTTING, OUTPUT_SHUT, CLOSING, LINGERING and CLOSED.
 *
 * <p>"Pending" cases write {@link #RESPONSE} (4 MiB) to a client with a 16 KiB receive buffer that
 * has not started reading: far more than the kernel buffers hold, so bytes stay pending in the
 * connection until the test lets the client read. Each handler notes what it saw in {@link #facts};
 * the client can see a close before the handler has noted the state after it, so facts are awaited.
 */
@Timeout(60)
abstract class ConnectionStateFixture {

    static final byte[] RESPONSE = new byte[4 * 1024 * 1024];

    static {
        new Random(7).nextBytes(RESPONSE);
    }

    /** Long enough that only the client's end of stream can end lingering within a test's waits. */
    static final Duration LONG_LINGER = Duration.ofSeconds(30);

    static final Duration WAIT = Duration.ofSeconds(10);

    final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(2, 256, Duration.ofSeconds(2), Duration.ofMillis(200), 1024, 65_536));
    TcpServer server;

    final BlockingQueue<Connection> opened = new ArrayBlockingQueue<>(4);
    final BlockingQueue<CloseReason> closes = new ArrayBlockingQueue<>(4);
    final Map<String, Object> facts = new ConcurrentHashMap<>();
    final AtomicInteger dataCalls = new AtomicInteger();

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
    class Recording implements ConnectionHandler {
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

    void start(TcpServer.Builder builder, ConnectionHandler handler) throws IOException {
        server = builder.name("states").port(0).handler(handler).build();
        server.start(group);
    }

    /** A slow client: a small receive buffer, so that a large response stays pending in the server. */
    Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(16 * 1024);
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    Connection connection() throws InterruptedException {
        Connection connection = opened.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(connection).as("a connection was opened").isNotNull();
        return connection;
    }

    /** Bounded, and polled often: most conditions here hold within milliseconds. */
    static ConditionFactory waiting() {
        return await().atMost(WAIT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10));
    }

    void note(String key, Object value) {
        facts.put(key, value == null ? "null" : value);
    }

    Object fact(String key) {
        waiting().until(() -> facts.containsKey(key));
        return facts.get(key);
    }

    /** Runs {@code query} on the connection's loop, where its state may be read. */
    static <T> T onLoop(Connection connection, Supplier<T> query) throws Exception {
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

    static State stateOf(Connection connection) throws Exception {
        return onLoop(connection, connection::state);
    }

    static void awaitState(Connection connection, State state) {
        waiting().until(() -> stateOf(connection) == state);
    }

    /** The connection closed with {@code expected}, and the server counted it under that reason only. */
    void assertClosedWith(CloseReason expected) throws InterruptedException {
        assertThat(closes.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).as("onClose reason").isEqualTo(expected);
        waiting().until(() -> server.activeConnections() == 0);
        for (CloseReason reason : CloseReason.values()) {
            assertThat(server.closedConnections(reason)).as("closed with %s", reason)
                    .isEqualTo(reason == expected ? 1 : 0);
        }
        assertThat(server.pendingBytes()).isZero();
    }

    /** Everything up to the end of stream, or up to a reset: what arrived before it counts. */
    static byte[] readUntilEndOrReset(InputStream in) throws IOException {
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

    static void assertWholeResponse(byte[] received) {
        assertThat(received.length).isEqualTo(RESPONSE.length);
        assertThat(Arrays.mismatch(received, RESPONSE)).as("first differing byte").isEqualTo(-1);
    }

    /** Fewer bytes than the response, and exactly its beginning: the pending rest was dropped. */
    static void assertTruncatedResponse(byte[] received) {
        assertThat(received.length).isLessThan(RESPONSE.length);
        assertThat(Arrays.mismatch(received, Arrays.copyOf(RESPONSE, received.length))).isEqualTo(-1);
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** Settings under which 4 MiB pending never pause reading, so input keeps reaching the handler. */
    static TcpServer.Builder neverPausing() {
        return TcpServer.builder().maxPendingBytes(32L * 1024 * 1024).watermarks(8 * 1024 * 1024, 16 * 1024 * 1024)
                .lingerTimeout(LONG_LINGER);
    }
}
