package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.PollLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Owned buffers and the write result on real connections: a reply larger than max-pending-bytes
 * reaches a slow reader whole when handed over, where the same reply written as a copy passes the cap;
 * a reader that stops reading is still closed (idle timeout); release is called once, whatever happens.
 */
@Timeout(60)
class OwnedWritesTest {

    private static final int REPLY = PacedReader.beyondKernelBuffers();
    private static final long CAP = 256 * 1024;
    private static final Duration WAIT = Duration.ofSeconds(15);

    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(1, 64, Duration.ofSeconds(2), Duration.ofMillis(200), 64, 1024));
    private final List<ByteBuffer> released = new CopyOnWriteArrayList<>();
    private final List<WriteResult> results = new CopyOnWriteArrayList<>();
    private TcpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stopAccepting(Duration.ofSeconds(2));
            server.forceClose(Duration.ofSeconds(2));
        }
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
    }

    private void start(TcpServer.Builder builder) throws IOException {
        server = builder.name("owned").port(0).maxPendingBytes(CAP).build();
        server.start(group);
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(16 * 1024); // most of the reply waits in the server, not in the kernel
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
        socket.setSoTimeout(20_000);
        return socket;
    }

    @Test
    void aFiveMebibyteOwnedReplyReachesAReaderOfAMebibytePerSecondWholeWithAReplyQueuedBehindIt() throws Exception {
        byte[] reply = PacedReader.pattern(REPLY, 1);
        AtomicInteger writable = new AtomicInteger();
        start(TcpServer.builder().idleTimeout(Duration.ofSeconds(5)).handler(new ConnectionHandler() {
            @Override
            public void onData(Connection c, ByteBuffer data) {
                results.add(c.writeOwned(ByteBuffer.wrap(reply), released::add));
                results.add(c.write(ByteBuffer.wrap("END".getBytes(StandardCharsets.US_ASCII)))
                        ? WriteResult.OK : c.writeStatus());
            }

            @Override
            public void onWritable(Connection c) {
                writable.incrementAndGet();
            }
        }));
        AtomicLong mostPending = new AtomicLong();
        try (Socket socket = connect()) {
            socket.getOutputStream().write('g');
            byte[] received = new PacedReader(1024 * 1024, () -> mostPending.accumulateAndGet(server.pendingBytes(), Math::max))
                    .read(socket.getInputStream(), REPLY + 3);

            assertThat(received.length).isEqualTo(REPLY + 3);
            assertThat(Arrays.mismatch(Arrays.copyOf(received, REPLY), reply)).as("first wrong byte").isEqualTo(-1);
            assertThat(new String(received, REPLY, 3, StandardCharsets.US_ASCII)).isEqualTo("END");
        }
        // Held well past the cap on the way, as the buffer itself, without closing for pending-cap.
        assertThat(mostPending.get()).isGreaterThan(CAP);
        assertThat(results).containsExactly(WriteResult.SLOW_DOWN, WriteResult.SLOW_DOWN);
        assertThat(released).singleElement().satisfies(b -> assertThat(b.hasRemaining()).isFalse());
        await().atMost(WAIT).until(() -> server.activeConnections() == 0);
        assertThat(writable).as("onWritable once drained").hasValue(1);
        assertThat(server.closedConnections(CloseReason.PENDING_CAP)).isZero();
        assertThat(server.pendingBytes()).isZero();
    }

    @Test
    void theSameReplyWrittenAsACopyPassesTheCapAndCloses() throws Exception {
        byte[] reply = PacedReader.pattern(REPLY, 2);
        start(TcpServer.builder().handler((c, data) -> {
            boolean goOn = c.write(ByteBuffer.wrap(reply));
            results.add(goOn ? WriteResult.OK : c.writeStatus());
        }));
        try (Socket socket = connect()) {
            socket.getOutputStream().write('g');
            await().atMost(WAIT).until(() -> server.closedConnections(CloseReason.PENDING_CAP) == 1);
        }
        assertThat(results).containsExactly(WriteResult.CLOSED);
    }

    @Test
    void aReaderThatStopsReadingIsClosedByTheIdleTimeoutAndTheBufferReleased() throws Exception {
        byte[] reply = PacedReader.pattern(REPLY, 3);
        start(TcpServer.builder().idleTimeout(Duration.ofMillis(300))
                .handler((c, data) -> c.writeOwned(ByteBuffer.wrap(reply), released::add)));
        try (Socket socket = connect()) {
            socket.getOutputStream().write('g');
            await().atMost(WAIT).until(() -> server.closedConnections(CloseReason.IDLE_TIMEOUT) == 1);
            assertThat(released).hasSize(1);
            assertThat(released.get(0).hasRemaining()).as("dropped before all was sent").isTrue();
            assertThat(server.pendingBytes()).isZero();
        }
    }

    @Test
    void theWriteResultTellsSlowDownFromClosedAndARefusedBufferIsReleasedAtOnce() throws Exception {
        byte[] mebibyte = PacedReader.pattern(1024 * 1024, 4);
        ByteBuffer late = ByteBuffer.allocate(10);
        List<Object> seen = new CopyOnWriteArrayList<>();
        AtomicInteger owned = new AtomicInteger();
        start(TcpServer.builder().handler((c, data) -> {
            seen.add(c.writeStatus());
            seen.add(c.writeOwned(ByteBuffer.wrap("hi".getBytes(StandardCharsets.US_ASCII))));
            // Owned mebibytes until the socket and the kernel are full: the first write left pending says slow down.
            WriteResult result;
            do {
                owned.incrementAndGet();
                result = c.writeOwned(ByteBuffer.wrap(mebibyte));
            } while (result == WriteResult.OK && owned.get() < 256);
            seen.add(result);
            seen.add(c.write(new byte[1]));                // taken, but above the high watermark
            seen.add(c.writeStatus());
            c.close();
            seen.add(c.writeStatus());
            seen.add(c.isOpen());                          // a graceful close in progress is still open
            seen.add(c.writeOwned(late, released::add));
            seen.add(released.contains(late));             // released within the call
            seen.add(c.write(new byte[1]));
        }));
        try (Socket socket = connect()) {
            socket.getOutputStream().write('g');
            InputStream in = socket.getInputStream();
            byte[] received = in.readAllBytes();           // all of it, then the end of stream
            assertThat(received.length).isEqualTo(2 + owned.get() * mebibyte.length + 1);
        }
        assertThat(seen).containsExactly(WriteResult.OK, WriteResult.OK, WriteResult.SLOW_DOWN, false,
                WriteResult.SLOW_DOWN, WriteResult.CLOSED, true, WriteResult.CLOSED, true, false);
        assertThat(released).containsExactly(late);
    }
}
