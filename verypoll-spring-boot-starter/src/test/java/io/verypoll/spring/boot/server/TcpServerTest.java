package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.PollLoop;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Stream servers over real loopback sockets, without Spring. */
@Timeout(60)
class TcpServerTest {

    // Own threads for blocking helpers: the common pool may have a single thread on two cores.
    private final java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newCachedThreadPool();

    @AfterEach
    void stopHelperThreads() {
        threads.shutdownNow();
    }

    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(2, 256, Duration.ofSeconds(2), Duration.ofMillis(200), 1024, 65_536));
    private TcpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stopAccepting(Duration.ofSeconds(2));
            server.forceClose(Duration.ofSeconds(2));
        }
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
    }

    private TcpServer start(TcpServer.Builder builder) throws Exception {
        server = builder.name("test").build();
        server.start(group);
        return server;
    }

    private Socket connect() throws Exception {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    // Oracle O-BYTES: every byte of a 1 MiB stream comes back, in order.
    @Test
    void echoesOneMebibyteByteForByte() throws Exception {
        start(TcpServer.builder().port(0).handler((c, data) -> c.write(data)));
        byte[] sent = new byte[1024 * 1024];
        new Random(42).nextBytes(sent);
        try (Socket socket = connect()) {
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    for (int i = 0; i < sent.length; i += 8192) {
                        out.write(sent, i, Math.min(8192, sent.length - i));
                    }
                    socket.shutdownOutput();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, threads);
            byte[] received = socket.getInputStream().readNBytes(sent.length + 1);
            writer.get(10, TimeUnit.SECONDS);
            assertThat(received.length).isEqualTo(sent.length);
            assertThat(Arrays.mismatch(received, sent)).isEqualTo(-1);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> server.activeConnections() == 0);
        assertThat(server.closedConnections(CloseReason.PEER_CLOSED)).isEqualTo(1);
        assertThat(server.bytesReceived()).isEqualTo(sent.length);
        assertThat(server.bytesSent()).isEqualTo(sent.length);
    }

    @Test
    void handlerExceptionClosesOnlyItsConnection() throws Exception {
        start(TcpServer.builder().port(0).handler((c, data) -> {
            if (data.get(data.position()) == 'X') {
                throw new IllegalArgumentException("boom");
            }
            c.write(data);
        }));
        try (Socket good = connect(); Socket bad = connect()) {
            bad.getOutputStream().write('X');
            assertThat(bad.getInputStream().read()).isEqualTo(-1);
            good.getOutputStream().write("ok".getBytes());
            assertThat(good.getInputStream().readNBytes(2)).isEqualTo("ok".getBytes());
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> server.closedConnections(CloseReason.HANDLER_ERROR) == 1);
        assertThat(group.handlerErrors().count(IllegalArgumentException.class)).isEqualTo(1);
        assertThat(server.handlerErrors()).isEqualTo(1);
        assertThat(group.loops().stream().mapToLong(loop -> loop.stats().handlerErrors()).sum()).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(AcceptMode.class)
    void maxConnectionsRejectsAndCounts(AcceptMode mode) throws Exception {
        start(TcpServer.builder().port(0).accept(mode).maxConnections(1).handler((c, data) -> c.write(data)));
        try (Socket first = connect()) {
            first.getOutputStream().write(1);
            assertThat(first.getInputStream().read()).isEqualTo(1);
            // Several: with reuseport they reach the other loop's listener too, which counts the same connections.
            for (int i = 0; i < 8; i++) {
                try (Socket second = connect()) {
                    assertThat(second.getInputStream().read()).isEqualTo(-1);
                }
            }
            assertThat(server.rejectedMaxConnections()).isEqualTo(8);
            first.getOutputStream().write(2);
            assertThat(first.getInputStream().read()).isEqualTo(2);
        }
    }

    @Test
    void idleTimeoutCloses() throws Exception {
        BlockingQueue<CloseReason> reasons = new ArrayBlockingQueue<>(4);
        start(TcpServer.builder().port(0).idleTimeout(Duration.ofMillis(200)).handler(new ConnectionHandler() {
            @Override
            public void onData(Connection c, ByteBuffer data) {
                c.write(data);
            }

            @Override
            public void onClose(Connection c, CloseReason reason) {
                reasons.add(reason);
            }
        }));
        try (Socket socket = connect()) {
            long start = System.nanoTime();
            InputStream in = socket.getInputStream();
            assertThat(in.read()).isEqualTo(-1);
            assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(Duration.ofMillis(150).toNanos());
        }
        assertThat(reasons.poll(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.IDLE_TIMEOUT);
    }

    // O-MEM: a peer that sends but never reads cannot make the server buffer without bound: reading
    // stops above the high watermark (one read buffer of overshoot at most) and resumes when it drains.
    @Test
    void watermarksPauseReadingWhileThePeerDoesNotRead() throws Exception {
        start(TcpServer.builder().port(0).watermarks(16 * 1024, 64 * 1024).handler((c, data) -> c.write(data)));
        // More than the kernel buffers on both sides can hold, so the server has to stop reading.
        byte[] sent = new byte[16 * 1024 * 1024];
        new Random(11).nextBytes(sent);
        Socket socket = new Socket();
        socket.setReceiveBufferSize(8 * 1024);
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
        socket.setSoTimeout(10_000);
        try (socket) {
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    socket.getOutputStream().write(sent);
                    socket.shutdownOutput();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, threads);
            await().atMost(Duration.ofSeconds(10)).until(() -> server.pendingBytes() > 64 * 1024);
            // While nobody reads, pending stays bounded: the high watermark plus one read's overshoot.
            long maxPending = 0;
            long until = System.nanoTime() + Duration.ofMillis(300).toNanos();
            while (System.nanoTime() < until) { // an observation window, not a synchronisation
                maxPending = Math.max(maxPending, server.pendingBytes());
            }
            assertThat(maxPending).isLessThanOrEqualTo(64 * 1024 + PollLoop.READ_BUFFER_SIZE);
            assertThat(server.bytesReceived()).isLessThan(sent.length);
            // Reading resumes once the client reads: everything comes back.
            byte[] back = socket.getInputStream().readAllBytes();
            writer.get(10, TimeUnit.SECONDS);
            assertThat(Arrays.mismatch(back, sent)).isEqualTo(-1);
        }
    }

    @Test
    void shutdownOutputHalfClosesAndKeepsReading() throws Exception {
        start(TcpServer.builder().port(0).handler(new ConnectionHandler() {
            @Override
            public void onData(Connection c, ByteBuffer data) {
                if (data.get(data.position()) == 'q') {
                    c.write(ByteBuffer.wrap("bye".getBytes()));
                    c.shutdownOutput();
                }
            }
        }));
        try (Socket socket = connect()) {
            socket.getOutputStream().write('q');
            assertThat(socket.getInputStream().readAllBytes()).isEqualTo("bye".getBytes());
            // Our side is still open and the server still reads it.
            socket.getOutputStream().write(new byte[10]);
            await().atMost(Duration.ofSeconds(5)).until(() -> server.bytesReceived() == 11);
            assertThat(server.activeConnections()).isEqualTo(1);
            socket.shutdownOutput();
            await().atMost(Duration.ofSeconds(5)).until(() -> server.activeConnections() == 0);
            assertThat(server.closedConnections(CloseReason.PEER_CLOSED)).isEqualTo(1);
        }
    }

    @Test
    void slowPeerIsClosedAtTheMaxPendingBytesCap() throws Exception {
        BlockingQueue<CloseReason> reasons = new ArrayBlockingQueue<>(4);
        byte[] chunk = new byte[32 * 1024];
        start(TcpServer.builder().port(0).watermarks(8 * 1024, 16 * 1024).maxPendingBytes(256 * 1024)
                .handler(new ConnectionHandler() {
                    @Override
                    public void onOpen(Connection c) {
                        // Push far more than the cap at a peer that reads nothing.
                        for (int i = 0; i < 1024 && c.isOpen(); i++) {
                            c.write(ByteBuffer.wrap(chunk));
                        }
                    }

                    @Override
                    public void onData(Connection c, ByteBuffer data) {
                    }

                    @Override
                    public void onClose(Connection c, CloseReason reason) {
                        reasons.add(reason);
                    }
                }));
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
        try (socket) {
            assertThat(reasons.poll(10, TimeUnit.SECONDS)).isEqualTo(CloseReason.PENDING_CAP);
            assertThat(server.closedConnections(CloseReason.PENDING_CAP)).isEqualTo(1);
            assertThat(server.pendingBytes()).isZero();
        }
    }

    // O-BYTES under concurrency: many connections on both loops at once, each stream seeded by its
    // index, each checked by length and SHA-256.
    @Test
    void manyConcurrentConnectionsEachGetExactlyTheirBytesBack() throws Exception {
        start(TcpServer.builder().port(0).watermarks(16 * 1024, 64 * 1024).handler((c, data) -> c.write(data)));
        int connections = 40;
        int size = 256 * 1024;
        java.util.List<CompletableFuture<Void>> clients = new java.util.ArrayList<>();
        for (int n = 0; n < connections; n++) {
            int index = n;
            clients.add(CompletableFuture.runAsync(() -> {
                try (Socket socket = connect()) {
                    byte[] sent = new byte[size];
                    new Random(index).nextBytes(sent);
                    CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                        try {
                            OutputStream out = socket.getOutputStream();
                            for (int i = 0; i < size; i += 4096) {
                                out.write(sent, i, 4096);
                            }
                            socket.shutdownOutput();
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    }, threads);
                    byte[] back = socket.getInputStream().readAllBytes();
                    writer.get(30, TimeUnit.SECONDS);
                    java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
                    assertThat(back).hasSize(size);
                    assertThat(sha.digest(back)).isEqualTo(java.security.MessageDigest.getInstance("SHA-256").digest(sent));
                } catch (Exception e) {
                    throw new RuntimeException("connection " + index, e);
                }
            }, threads));
        }
        CompletableFuture.allOf(clients.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(5)).until(() -> server.activeConnections() == 0);
        assertThat(server.closedConnections(CloseReason.PEER_CLOSED)).isEqualTo(connections);
        assertThat(server.bytesReceived()).isEqualTo((long) connections * size);
        assertThat(server.bytesSent()).isEqualTo((long) connections * size);
        assertThat(group.loops()).allSatisfy(loop -> assertThat(loop.stats().eventsDispatched()).isPositive());
    }

    @Test
    void pauseReadingStopsDeliveryUntilResumed() throws Exception {
        BlockingQueue<Connection> opened = new ArrayBlockingQueue<>(1);
        java.util.concurrent.atomic.AtomicLong delivered = new java.util.concurrent.atomic.AtomicLong();
        start(TcpServer.builder().port(0).handler(new ConnectionHandler() {
            @Override
            public void onOpen(Connection c) {
                c.pauseReading();
                opened.add(c);
            }

            @Override
            public void onData(Connection c, ByteBuffer data) {
                delivered.addAndGet(data.remaining());
                c.write(data);
            }
        }));
        try (Socket socket = connect()) {
            Connection connection = opened.poll(5, TimeUnit.SECONDS);
            assertThat(connection).isNotNull();
            socket.getOutputStream().write("held back".getBytes());
            // Nothing is delivered while paused, however long we look (the loop keeps turning).
            CountDownLatch turned = new CountDownLatch(1);
            connection.loop().schedule(Duration.ofMillis(200), turned::countDown);
            assertThat(turned.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(delivered.get()).isZero();
            connection.execute(connection::resumeReading);
            assertThat(socket.getInputStream().readNBytes(9)).isEqualTo("held back".getBytes());
            assertThat(delivered.get()).isEqualTo(9);
        }
    }
}
