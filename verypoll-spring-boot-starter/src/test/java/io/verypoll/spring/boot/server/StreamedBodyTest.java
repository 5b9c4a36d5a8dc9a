package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.frame.FrameDecoders;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Streamed bodies on real connections: pulled as the socket takes them, so a body longer than
 * max-pending-bytes reaches a slow reader whole holding one chunk; what comes after waits behind it;
 * a reader that stops is closed by the idle timeout; a graceful close sends the body first; a file
 * region goes out exact, and a short file fails the connection rather than end the body early.
 */
@Timeout(60)
class StreamedBodyTest {

    private static final int BODY = 5 * 1024 * 1024;
    private static final int CHUNK = 64 * 1024;
    private static final long CAP = 256 * 1024;
    private static final Duration WAIT = Duration.ofSeconds(15);

    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(1, 64, Duration.ofSeconds(2), Duration.ofMillis(200), 64, 1024));
    private final List<Object> seen = new CopyOnWriteArrayList<>();
    private TcpServer server;

    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stopAccepting(Duration.ofSeconds(2));
            server.forceClose(Duration.ofSeconds(2));
        }
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
    }

    /** {@code size} bytes of {@link PacedReader#pattern} made on demand, one reused chunk at a time. */
    private static final class PatternBody implements BodySource {
        final byte[] whole;
        final ByteBuffer chunk = ByteBuffer.allocate(CHUNK);
        final AtomicLong pulled = new AtomicLong();
        final AtomicInteger closes = new AtomicInteger();
        int at;

        PatternBody(int size, int seed) {
            whole = PacedReader.pattern(size, seed);
        }

        @Override
        public ByteBuffer next() {
            if (at == whole.length) {
                return null;
            }
            int n = Math.min(CHUNK, whole.length - at);
            chunk.clear();
            chunk.put(whole, at, n).flip();
            at += n;
            pulled.addAndGet(n);
            return chunk;
        }

        @Override
        public void close() {
            closes.incrementAndGet();
        }
    }

    private void start(TcpServer.Builder builder) throws IOException {
        server = builder.name("bodies").port(0).maxPendingBytes(CAP).build();
        server.start(group);
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(16 * 1024);
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
        socket.setSoTimeout(20_000);
        return socket;
    }

    private static String ascii(byte[] bytes, int from) {
        return new String(bytes, from, bytes.length - from, StandardCharsets.US_ASCII);
    }

    @Test
    void aFiveMebibyteBodyReachesAReaderOfAMebibytePerSecondWholeAndWhatFollowsWaitsBehindIt() throws Exception {
        PatternBody body = new PatternBody(BODY, 5);
        AtomicInteger writable = new AtomicInteger();
        start(TcpServer.builder().idleTimeout(Duration.ofSeconds(5)).decoder(FrameDecoders.lines(64))
                .messageHandler(new MessageHandler() {
                    @Override
                    public void onMessage(Connection c, ByteBuffer line) {
                        String request = StandardCharsets.US_ASCII.decode(line).toString();
                        if (request.equals("big")) {
                            seen.add(c.writeBody(body));
                            seen.add(c.write("END\n".getBytes(StandardCharsets.US_ASCII))); // queued behind the body
                        } else {
                            seen.add(request + " after " + body.pulled.get());
                            c.write((request + "\n").getBytes(StandardCharsets.US_ASCII));
                        }
                    }

                    @Override
                    public void onWritable(Connection c) {
                        writable.incrementAndGet();
                    }
                }));
        AtomicLong mostPending = new AtomicLong();
        try (Socket socket = connect()) {
            socket.getOutputStream().write("big\nsmall\n".getBytes(StandardCharsets.US_ASCII));
            byte[] received = new PacedReader(1024 * 1024, () -> mostPending.accumulateAndGet(server.pendingBytes(), Math::max))
                    .read(socket.getInputStream(), BODY + 10);

            assertThat(received.length).isEqualTo(BODY + 10);
            assertThat(Arrays.mismatch(Arrays.copyOf(received, BODY), body.whole)).as("first wrong byte").isEqualTo(-1);
            assertThat(ascii(received, BODY)).isEqualTo("END\nsmall\n");
        }
        // The next request was handled only once the body was all sent: no reply overtakes it.
        assertThat(seen).containsExactly(WriteResult.SLOW_DOWN, false, "small after " + BODY);
        assertThat(mostPending.get()).as("one chunk held at a time, far below the cap").isLessThanOrEqualTo(CHUNK + 4);
        assertThat(body.closes).hasValue(1);
        assertThat(writable).hasValue(1);
        assertThat(server.closedConnections(CloseReason.PENDING_CAP)).isZero();
    }

    @Test
    void aReaderThatStopsReadingIsClosedByTheIdleTimeoutAndTheBodyClosed() throws Exception {
        int size = PacedReader.beyondKernelBuffers();
        PatternBody body = new PatternBody(size, 6);
        start(TcpServer.builder().idleTimeout(Duration.ofMillis(300)).handler((c, data) -> c.writeBody(body)));
        try (Socket socket = connect()) {
            socket.getOutputStream().write('g');
            await().atMost(WAIT).until(() -> server.closedConnections(CloseReason.IDLE_TIMEOUT) == 1);
        }
        assertThat(body.closes).hasValue(1);
        assertThat(body.pulled.get()).as("pulled only as far as the socket took it").isLessThan(size);
        assertThat(server.pendingBytes()).isZero();
    }

    @Test
    void aGracefulCloseSendsTheBodyThenTheEndOfStream() throws Exception {
        PatternBody body = new PatternBody(BODY, 7);
        start(TcpServer.builder().handler((c, data) -> {
            seen.add(c.writeBody(body));
            c.close();
            seen.add(c.writeBody(new PatternBody(10, 0))); // closing: not taken
        }));
        try (Socket socket = connect()) {
            socket.getOutputStream().write('g');
            byte[] received = socket.getInputStream().readAllBytes();
            assertThat(received).isEqualTo(body.whole);
        }
        await().atMost(WAIT).until(() -> server.closedConnections(CloseReason.LOCAL) == 1);
        assertThat(seen).containsExactly(WriteResult.SLOW_DOWN, WriteResult.CLOSED);
        assertThat(body.closes).hasValue(1);
    }

    @Test
    void aFileRegionIsSentExactlyAndTheFileClosed() throws Exception {
        byte[] content = PacedReader.pattern(3 * 1024 * 1024 + 17, 8);
        Path file = Files.write(dir.resolve("region.bin"), content);
        AtomicReference<FileChannel> opened = new AtomicReference<>();
        start(TcpServer.builder().handler((c, data) -> {
            FileChannel channel = FileChannel.open(file);
            opened.set(channel);
            c.writeBody(BodySource.file(channel, 1_000, 2 * 1024 * 1024 + 5));
            c.close();
        }));
        try (Socket socket = connect()) {
            socket.getOutputStream().write('g');
            byte[] received = socket.getInputStream().readAllBytes();
            assertThat(received).isEqualTo(Arrays.copyOfRange(content, 1_000, 1_000 + 2 * 1024 * 1024 + 5));
        }
        await().atMost(WAIT).until(() -> !opened.get().isOpen());
    }

    @Test
    void aFileShorterThanPromisedClosesTheConnectionAsAHandlerError() throws Exception {
        byte[] content = PacedReader.pattern(100_000, 9);
        Path file = Files.write(dir.resolve("short.bin"), content);
        start(TcpServer.builder().handler((c, data) -> c.writeBody(BodySource.file(FileChannel.open(file), 0, 200_000))));
        try (Socket socket = connect()) {
            socket.getOutputStream().write('g');
            byte[] received = socket.getInputStream().readAllBytes(); // what there was, then the close
            assertThat(received.length).isLessThanOrEqualTo(content.length);
        }
        await().atMost(WAIT).until(() -> server.closedConnections(CloseReason.HANDLER_ERROR) == 1);
        assertThat(server.handlerErrors()).isOne();
    }
}
