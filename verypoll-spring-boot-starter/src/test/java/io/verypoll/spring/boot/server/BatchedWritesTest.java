package io.verypoll.spring.boot.server;

import io.verypoll.Source;
import io.verypoll.spring.boot.frame.FrameDecoders;
import io.verypoll.spring.boot.frame.FrameEncoders;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Writes batched per read, counted where they reach the socket: every accepted channel is wrapped
 * in a {@link CountingChannel}, so each write or gathering write is one system call counted.
 */
@Timeout(60)
class BatchedWritesTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(1, 256, Duration.ofSeconds(2), Duration.ofMillis(200), 1024, 65_536));
    private final BlockingQueue<CountingChannel> channels = new ArrayBlockingQueue<>(4);
    private final AtomicInteger batchEnds = new AtomicInteger();
    private final AtomicInteger messages = new AtomicInteger();
    private TcpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stopAccepting(Duration.ofSeconds(2));
            server.forceClose(Duration.ofSeconds(2));
        }
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
    }

    /** Counts reads that brought bytes, and writes (plain or gathering) that reached the socket. */
    static final class CountingChannel implements StreamChannel {
        private final StreamChannel inner;
        final AtomicInteger dataReads = new AtomicInteger();
        final AtomicInteger writes = new AtomicInteger();

        CountingChannel(StreamChannel inner) {
            this.inner = inner;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            int n = inner.read(dst);
            if (n > 0) {
                dataReads.incrementAndGet();
            }
            return n;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            writes.incrementAndGet();
            return inner.write(src);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            writes.incrementAndGet();
            return inner.write(srcs, offset, length);
        }

        @Override
        public long write(ByteBuffer[] srcs) throws IOException {
            return write(srcs, 0, srcs.length);
        }

        @Override
        public Source source() {
            return inner.source();
        }

        @Override
        public void shutdownOutput() throws IOException {
            inner.shutdownOutput();
        }

        @Override
        public SocketAddress remoteAddress() {
            return inner.remoteAddress();
        }

        @Override
        public SocketAddress localAddress() {
            return inner.localAddress();
        }

        @Override
        public IOException takeError() {
            return inner.takeError();
        }

        @Override
        public boolean isOpen() {
            return inner.isOpen();
        }

        @Override
        public void close() throws IOException {
            inner.close();
        }

        @Override
        public void resetOnClose() throws IOException {
            inner.resetOnClose();
        }
    }

    private void start(TcpServer.Builder builder) throws IOException {
        server = builder.name("batched").port(0).build();
        server.channelLayer = channel -> {
            CountingChannel counting = new CountingChannel(channel);
            channels.add(counting);
            return counting;
        };
        server.start(group);
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    private CountingChannel channel() throws InterruptedException {
        CountingChannel channel = channels.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(channel).as("an accepted channel").isNotNull();
        return channel;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static String lines(int count, String prefix, String terminator) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < count; i++) {
            text.append(prefix).append(i).append(terminator);
        }
        return text.toString();
    }

    /** One reply per frame, from the handler's own bytes, and a count of batch ends. */
    private MessageHandler replyPerFrame() {
        return new MessageHandler() {
            @Override
            public void onMessage(Connection c, ByteBuffer frame) {
                messages.incrementAndGet();
                c.write(ascii("+OK " + StandardCharsets.US_ASCII.decode(frame) + "\r\n"));
            }

            @Override
            public void onBatchEnd(Connection c) {
                batchEnds.incrementAndGet();
            }
        };
    }

    @Test
    void sixteenPipelinedRequestsGetSixteenRepliesInOneWriteAndOneBatchEndPerRead() throws Exception {
        start(TcpServer.builder().decoder(FrameDecoders.lines(100)).messageHandler(replyPerFrame()));
        try (Socket socket = connect()) {
            CountingChannel channel = channel();
            for (int round = 1; round <= 3; round++) {
                socket.getOutputStream().write(ascii(lines(16, "GET ", "\r\n")));
                byte[] replies = socket.getInputStream().readNBytes(lines(16, "+OK GET ", "\r\n").length());
                assertThat(new String(replies, StandardCharsets.US_ASCII)).isEqualTo(lines(16, "+OK GET ", "\r\n"));
                assertThat(messages).hasValue(16 * round);
                // 16 short lines in one client write arrive in one read: one batch, one system call.
                assertThat(channel.dataReads).hasValue(round);
                assertThat(batchEnds).hasValue(round);
                assertThat(channel.writes).hasValue(round);
            }
        }
    }

    @Test
    void aPlainHandlerWritingPerLineMakesOneSystemCallPerLine() throws Exception {
        // The control: the counting sees what batching saves.
        start(TcpServer.builder().handler((c, data) -> {
            while (data.hasRemaining()) {
                if (data.get() == '\n') {
                    c.write(ascii("+OK\r\n"));
                }
            }
        }));
        try (Socket socket = connect()) {
            CountingChannel channel = channel();
            socket.getOutputStream().write(ascii(lines(16, "GET ", "\r\n")));
            assertThat(socket.getInputStream().readNBytes(16 * 5)).hasSize(16 * 5);
            assertThat(channel.dataReads).hasValue(1);
            assertThat(channel.writes).hasValue(16);
        }
    }

    @Test
    void framesEchoedWholeAreSentFromTheReadBufferAsOneSegment() throws Exception {
        start(TcpServer.builder().decoder(FrameDecoders.lines(100).keepingTerminator())
                .messageHandler((c, frame) -> c.write(frame)));
        String request = lines(500, "frame ", "\n"); // ~5 KiB: more frames than a write gathers segments
        try (Socket socket = connect()) {
            CountingChannel channel = channel();
            socket.getOutputStream().write(ascii(request));
            byte[] back = socket.getInputStream().readNBytes(request.length());
            assertThat(new String(back, StandardCharsets.US_ASCII)).isEqualTo(request);
            await().atMost(WAIT).until(() -> channel.writes.get() == channel.dataReads.get());
        }
    }

    @Test
    void repliesLargerThanTheBatchRoomAreSentEarlyInOrder() throws Exception {
        byte[] reply = new byte[1000];
        start(TcpServer.builder().decoder(FrameDecoders.lines(100)).messageHandler((c, frame) -> {
            Arrays.fill(reply, frame.get(frame.position()));
            c.write(reply); // the handler reuses its buffer at once: the batch must have copied it
        }));
        StringBuilder request = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            request.append((char) ('A' + i % 26)).append('\n');
        }
        try (Socket socket = connect()) {
            CountingChannel channel = channel();
            socket.getOutputStream().write(ascii(request.toString()));
            byte[] back = socket.getInputStream().readNBytes(100 * 1000);
            for (int i = 0; i < 100; i++) {
                byte expected = (byte) ('A' + i % 26);
                for (int k = 0; k < 1000; k++) {
                    assertThat(back[i * 1000 + k]).as("reply %d byte %d", i, k).isEqualTo(expected);
                }
            }
            assertThat(channel.dataReads).hasValue(1);
            // 100,000 bytes through a 64 KiB room: sent once full, and once at the batch's end.
            assertThat(channel.writes).hasValue(2);
        }
    }

    @Test
    void anEchoTheSocketCannotTakeAtOnceIsKeptBeforeTheNextReadReusesTheBuffer() throws Exception {
        start(TcpServer.builder().watermarks(8 << 20, 16 << 20).maxPendingBytes(32 << 20).maxFrameLength(1 << 20)
                .decoder(FrameDecoders.lines(1 << 20).keepingTerminator())
                .messageHandler((c, frame) -> c.write(frame)));
        byte[] first = new byte[60_000];
        byte[] second = new byte[60_000];
        Arrays.fill(first, (byte) 'a');
        Arrays.fill(second, (byte) 'b');
        first[first.length - 1] = '\n';
        second[second.length - 1] = '\n';
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096); // the client reads nothing yet: most of the echo cannot be sent
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            // Until the kernel's buffers are full and the echo waits in the connection, then a few more
            // rounds whose reads reuse the buffer the waiting echo came from.
            int rounds = 0;
            int more = 4;
            while (more > 0 && rounds < 200) {
                out.write(rounds % 2 == 0 ? first : second);
                long expected = ++rounds * 60_000L;
                await().atMost(WAIT).until(() -> server.bytesReceived() == expected);
                if (server.pendingBytes() > 0) {
                    more--;
                }
            }
            assertThat(server.pendingBytes()).as("echo waiting for the client").isPositive();
            InputStream in = socket.getInputStream();
            for (int round = 0; round < rounds; round++) {
                byte[] back = in.readNBytes(60_000);
                assertThat(Arrays.mismatch(back, round % 2 == 0 ? first : second)).as("round " + round).isEqualTo(-1);
            }
        }
    }

    @Test
    void writesOutsideABatchGoStraightToTheSocketAndFlushIsANoOpThere() throws Exception {
        BlockingQueue<Connection> opened = new ArrayBlockingQueue<>(1);
        start(TcpServer.builder().decoder(FrameDecoders.lines(100)).messageHandler(new MessageHandler() {
            @Override
            public void onOpen(Connection connection) {
                opened.add(connection);
            }

            @Override
            public void onMessage(Connection c, ByteBuffer frame) {
                c.write(ascii("one\n"));
                c.flush(); // sent now, before the batch ends
                c.write(ascii("two\n"));
            }
        }));
        try (Socket socket = connect()) {
            CountingChannel channel = channel();
            Connection connection = opened.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(connection).isNotNull();
            connection.execute(() -> {
                connection.flush();
                connection.write(ascii("pushed\n"));
            });
            assertThat(socket.getInputStream().readNBytes(7)).isEqualTo(ascii("pushed\n"));
            assertThat(channel.writes).hasValue(1);
            socket.getOutputStream().write(ascii("x\n"));
            assertThat(socket.getInputStream().readNBytes(8)).isEqualTo(ascii("one\ntwo\n"));
            assertThat(channel.writes).hasValue(3);
        }
    }

    @Test
    void aHeaderAndABodyGoOutInOneGatheringWrite() throws Exception {
        start(TcpServer.builder().handler((c, data) -> {
            c.write(ByteBuffer.wrap(ascii("HDR:")), ByteBuffer.wrap(ascii("body")));
            c.writeFrame(ByteBuffer.wrap(ascii("line")), FrameEncoders.crlfLines());
        }));
        try (Socket socket = connect()) {
            CountingChannel channel = channel();
            socket.getOutputStream().write('x');
            assertThat(socket.getInputStream().readNBytes(14)).isEqualTo(ascii("HDR:bodyline\r\n"));
            assertThat(channel.writes).hasValue(2);
        }
    }
}
