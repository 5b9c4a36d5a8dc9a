package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.frame.FrameDecoders;
import io.verypoll.spring.boot.frame.FrameEncoders;
import io.verypoll.spring.boot.frame.FrameException;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

/** Framed servers over loopback: echo with lines and length fields, pipelining, split frames, limits and errors. */
@Timeout(60)
class FramedServerTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(2, 256, Duration.ofSeconds(2), Duration.ofMillis(200), 1024, 65_536));
    private StreamServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stopAccepting(Duration.ofSeconds(2));
            server.forceClose(Duration.ofSeconds(2));
        }
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
    }

    private void start(StreamServer built) throws IOException {
        server = built;
        server.start(group);
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        return socket;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** Everything up to the end of stream (the server's close), at most {@code max} bytes. */
    private static byte[] readToEnd(InputStream in, int max) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        int n;
        while (all.size() <= max && (n = in.read(chunk)) >= 0) {
            all.write(chunk, 0, n);
        }
        return all.toByteArray();
    }

    /** Waits until the server has read {@code total} bytes, so that the next write arrives in a read of its own. */
    private void awaitReceived(long total) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(2)).until(() -> server.bytesReceived() >= total);
    }

    private static TcpServer.Builder lineEcho() {
        return TcpServer.builder().name("framed").port(0).maxFrameLength(1 << 20).decoder(FrameDecoders.lines(1 << 20))
                .messageHandler((c, line) -> c.writeFrame(line, FrameEncoders.lines()));
    }

    @Test
    void echoesLinesOneMessageAtATimeWithTheTerminatorAddedBack() throws Exception {
        start(lineEcho().build());
        try (Socket socket = connect()) {
            socket.getOutputStream().write(ascii("hello\r\nworld\n\n"));
            assertThat(socket.getInputStream().readNBytes(13)).isEqualTo(ascii("hello\nworld\n\n"));
        }
    }

    @Test
    void echoesLengthPrefixedFramesInBothByteOrders() throws Exception {
        for (ByteOrder order : new ByteOrder[] {ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN}) {
            start(TcpServer.builder().name("lf").port(0)
                    .decoder(FrameDecoders.lengthField().fieldLength(2).order(order).stripHeader(true).maxFrameLength(60_000).build())
                    .messageHandler((c, frame) -> c.writeFrame(frame, FrameEncoders.lengthField(2, order))).build());
            byte[] body = new byte[50_000];
            new Random(3).nextBytes(body);
            try (Socket socket = connect()) {
                ByteBuffer header = ByteBuffer.allocate(2).order(order).putShort(0, (short) body.length);
                socket.getOutputStream().write(header.array());
                socket.getOutputStream().write(body);
                byte[] back = socket.getInputStream().readNBytes(2 + body.length);
                assertThat(Arrays.copyOf(back, 2)).isEqualTo(header.array());
                assertThat(Arrays.mismatch(Arrays.copyOfRange(back, 2, back.length), body)).isEqualTo(-1);
            }
            server.stopAccepting(Duration.ofSeconds(2));
            server.forceClose(Duration.ofSeconds(2));
            assertThat(server.bufferedInputBytes()).as("the stash of the 50,000-byte frame was given back").isZero();
        }
    }

    @Test
    void pipelinedFramesInOneWriteComeBackInOrder() throws Exception {
        start(lineEcho().build());
        StringBuilder request = new StringBuilder();
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            request.append("request ").append(i).append(i % 2 == 0 ? "\r\n" : "\n");
            expected.append("request ").append(i).append('\n');
        }
        try (Socket socket = connect()) {
            socket.getOutputStream().write(ascii(request.toString()));
            byte[] back = socket.getInputStream().readNBytes(expected.length());
            assertThat(new String(back, StandardCharsets.US_ASCII)).isEqualTo(expected.toString());
        }
    }

    @Test
    void aFrameSplitOverManyReadsArrivesWholeAndItsStashIsGivenBack() throws Exception {
        start(lineEcho().build());
        byte[] line = new byte[100_000];
        Arrays.fill(line, (byte) 'x');
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            long sent = 0;
            for (int at = 0; at < line.length; at += 997) {
                int n = Math.min(997, line.length - at);
                out.write(line, at, n);
                sent += n;
                awaitReceived(sent); // each piece is read on its own
                if (at > 0 && at < 50_000) {
                    assertThat(server.bufferedInputBytes()).as("the incomplete line waits in a stash").isPositive();
                }
            }
            out.write('\n');
            byte[] back = socket.getInputStream().readNBytes(line.length + 1);
            assertThat(back).hasSize(line.length + 1).endsWith((byte) '\n');
            assertThat(Arrays.mismatch(Arrays.copyOf(back, line.length), line)).isEqualTo(-1);
            await().atMost(WAIT).until(() -> server.bufferedInputBytes() == 0);
        }
    }

    // ---------------------------------------------------------------- max-frame-length

    /** A server whose decoder allows more than the server: the connection's own check decides. */
    private TcpServer limitedTo(int max) {
        return TcpServer.builder().name("limited").port(0).maxFrameLength(max).decoder(FrameDecoders.lines(1 << 20))
                .messageHandler(new MessageHandler() {
                    @Override
                    public void onMessage(Connection c, ByteBuffer line) {
                        c.write(ascii("OK " + line.remaining() + "\n"));
                    }

                    @Override
                    public void onFrameTooLong(Connection c, io.verypoll.spring.boot.frame.FrameTooLongException e) {
                        c.write(ascii("ERR too long\n"));
                    }
                }).build();
    }

    @Test
    void aFrameOfExactlyMaxFrameLengthIsDelivered() throws Exception {
        start(limitedTo(1000));
        try (Socket socket = connect()) {
            byte[] line = new byte[1001];
            Arrays.fill(line, (byte) 'a');
            line[1000] = '\n';
            socket.getOutputStream().write(line);
            assertThat(socket.getInputStream().readNBytes(8)).isEqualTo(ascii("OK 1000\n"));
        }
        assertThat(server.closedConnections(CloseReason.FRAME_TOO_LONG)).isZero();
    }

    @Test
    void aCompleteFrameOfMaxFrameLengthPlusOneGetsTheHandlersReplyThenTheClose() throws Exception {
        start(limitedTo(1000));
        try (Socket socket = connect()) {
            byte[] request = new byte[4 + 1002];
            System.arraycopy(ascii("ab\n"), 0, request, 0, 3);
            Arrays.fill(request, 3, request.length - 1, (byte) 'a');
            request[request.length - 1] = '\n';
            socket.getOutputStream().write(request); // "ab" fine, then 1001 bytes of content: one too many
            assertThat(readToEnd(socket.getInputStream(), 1000)).isEqualTo(ascii("OK 2\nERR too long\n"));
        }
        await().atMost(WAIT).until(() -> server.closedConnections(CloseReason.FRAME_TOO_LONG) == 1);
        assertThat(server.activeConnections()).isZero();
    }

    @Test
    void anIncompleteFrameIsCutOffOnceMoreThanTheLimitAndItsTerminatorWait() throws Exception {
        start(limitedTo(1000));
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            byte[] content = new byte[1001];
            Arrays.fill(content, (byte) 'a');
            out.write(content, 0, 1000);
            awaitReceived(1000);
            out.write(ascii("\r")); // 1001 bytes: still a legal 1000-byte line ending in CRLF
            awaitReceived(1001);
            assertThat(server.closedConnections(CloseReason.FRAME_TOO_LONG)).isZero();
            out.write(ascii("ab")); // 1003 > 1000 + 2: no line of 1000 bytes can end here
            assertThat(readToEnd(socket.getInputStream(), 1000)).isEqualTo(ascii("ERR too long\n"));
        }
        await().atMost(WAIT).until(() -> server.closedConnections(CloseReason.FRAME_TOO_LONG) == 1);
        await().atMost(WAIT).until(() -> server.bufferedInputBytes() == 0);
    }

    @Test
    void theDecodersOwnLowerLimitClosesTheSameWay() throws Exception {
        start(TcpServer.builder().name("own").port(0).decoder(FrameDecoders.lines(10))
                .messageHandler(new MessageHandler() {
                    @Override
                    public void onMessage(Connection c, ByteBuffer line) {
                        c.write(ascii("OK\n"));
                    }

                    @Override
                    public void onFrameTooLong(Connection c, io.verypoll.spring.boot.frame.FrameTooLongException e) {
                        c.write(ascii("ERR " + e.maxFrameLength() + "\n"));
                    }
                }).build());
        try (Socket socket = connect()) {
            socket.getOutputStream().write(ascii("0123456789\n0123456789X\n"));
            assertThat(readToEnd(socket.getInputStream(), 100)).isEqualTo(ascii("OK\nERR 10\n"));
        }
        await().atMost(WAIT).until(() -> server.closedConnections(CloseReason.FRAME_TOO_LONG) == 1);
    }

    // ---------------------------------------------------------------- timeout, errors

    @Test
    void aClientThatSendsHalfAFrameAndWaitsIsClosedAtTheFrameTimeout() throws Exception {
        start(lineEcho().frameTimeout(Duration.ofMillis(300)).build());
        try (Socket socket = connect()) {
            socket.getOutputStream().write(ascii("done\nhalf a li"));
            long start = System.nanoTime();
            assertThat(readToEnd(socket.getInputStream(), 100)).isEqualTo(ascii("done\n"));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(250));
        }
        await().atMost(WAIT).until(() -> server.closedConnections(CloseReason.FRAME_TIMEOUT) == 1);
        assertThat(server.bufferedInputBytes()).isZero();
    }

    @Test
    void aSlowButSteadyFrameThatCompletesInTimeIsNotCut() throws Exception {
        start(lineEcho().frameTimeout(Duration.ofMillis(800)).build());
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            for (int i = 0; i < 5; i++) {
                out.write(ascii("ab"));
                awaitReceived(2L * (i + 1));
            }
            out.write('\n');
            assertThat(socket.getInputStream().readNBytes(11)).isEqualTo(ascii("ababababab\n"));
        }
        assertThat(server.closedConnections(CloseReason.FRAME_TIMEOUT)).isZero();
    }

    @Test
    void aFrameExceptionClosesWithFrameErrorAfterTheEarlierReplies() throws Exception {
        start(TcpServer.builder().name("bad").port(0).decoder(in -> {
            if (in.get(in.position()) == '!') {
                throw new FrameException("not a frame");
            }
            in.limit(in.position() + 1);
            return 1;
        }).messageHandler((c, b) -> c.write(b)).build());
        try (Socket socket = connect()) {
            socket.getOutputStream().write(ascii("abc!def"));
            assertThat(readToEnd(socket.getInputStream(), 100)).isEqualTo(ascii("abc"));
        }
        await().atMost(WAIT).until(() -> server.closedConnections(CloseReason.FRAME_ERROR) == 1);
    }

    @Test
    void aThrowingMessageHandlerClosesItsConnectionOnly() throws Exception {
        start(TcpServer.builder().name("throwing").port(0).decoder(FrameDecoders.lines(100))
                .messageHandler((c, line) -> {
                    if (line.get(line.position()) == 'X') {
                        throw new IllegalStateException("boom");
                    }
                    c.writeFrame(line, FrameEncoders.lines());
                }).build());
        try (Socket good = connect(); Socket bad = connect()) {
            bad.getOutputStream().write(ascii("X\n"));
            assertThat(bad.getInputStream().read()).isEqualTo(-1);
            good.getOutputStream().write(ascii("ok\n"));
            assertThat(good.getInputStream().readNBytes(3)).isEqualTo(ascii("ok\n"));
        }
        await().atMost(WAIT).until(() -> server.closedConnections(CloseReason.HANDLER_ERROR) == 1);
    }

    // ---------------------------------------------------------------- other ways in

    @Test
    void aPerConnectionDecoderAndHandlerFactoryKeepStatePerConnection() throws Exception {
        start(TcpServer.builder().name("counting").port(0)
                .decoder(() -> FrameDecoders.lines(100).resumable())
                .messageHandlerFactory(connection -> new MessageHandler() {
                    private int seen;

                    @Override
                    public void onMessage(Connection c, ByteBuffer line) {
                        seen++;
                        c.write(ascii(seen + "\n"));
                    }
                }).build());
        try (Socket a = connect(); Socket b = connect()) {
            a.getOutputStream().write(ascii("x\nx\n"));
            assertThat(a.getInputStream().readNBytes(4)).isEqualTo(ascii("1\n2\n"));
            b.getOutputStream().write(ascii("x\n"));
            assertThat(b.getInputStream().readNBytes(2)).isEqualTo(ascii("1\n"));
        }
    }

    @Test
    void aUnixServerTakesADecoderToo(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("framed.sock");
        start(UnixServer.builder().name("unix").path(file).decoder(FrameDecoders.lines(100))
                .messageHandler((c, line) -> c.writeFrame(line, FrameEncoders.crlfLines())).build());
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(file));
            DataOutputStream out = new DataOutputStream(Channels.newOutputStream(channel));
            out.write(ascii("one\ntwo\n"));
            DataInputStream in = new DataInputStream(Channels.newInputStream(channel));
            byte[] back = new byte[10];
            in.readFully(back);
            assertThat(back).isEqualTo(ascii("one\r\ntwo\r\n"));
        }
    }

    @Test
    void theBuilderSaysWhatIsMissingOrTooMuch() {
        assertThatIllegalStateException().isThrownBy(() -> TcpServer.builder().decoder(FrameDecoders.lines(10)).build())
                .withMessage("a TcpServer with a decoder needs a messageHandler or a messageHandlerFactory");
        assertThatIllegalStateException().isThrownBy(() -> UnixServer.builder().messageHandler((c, f) -> { }).build())
                .withMessage("a UnixServer with a messageHandler needs a decoder");
        assertThatIllegalStateException().isThrownBy(() -> TcpServer.builder().decoder(FrameDecoders.lines(10))
                        .messageHandler((c, f) -> { }).handler((c, d) -> { }).build())
                .withMessage("a TcpServer takes a handler, or a decoder with a messageHandler; not both");
    }
}
