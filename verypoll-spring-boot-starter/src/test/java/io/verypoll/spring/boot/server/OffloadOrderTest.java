package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.frame.FrameDecoders;
import io.verypoll.spring.boot.frame.FrameEncoders;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Writes the handler makes directly while offloaded replies are due wait behind them and go out in
 * request order: copies, owned buffers, bodies, gathering writes; pipelined mixes of inline and
 * offloaded requests; a graceful close or output shutdown sends them first, an abortive close drops
 * (and releases) them; queued copies count against max-pending-bytes and for the watermarks.
 *
 * <p>Each request is a line {@code verb:text}: {@code slow} offloads work that waits for the test's
 * gate, {@code sleep} work that sleeps the given microseconds, {@code copy}, {@code frame},
 * {@code owned} and {@code body} write {@code text} directly as a line, {@code all} does the three
 * kinds (then the request after its second colon), {@code big:n:k} writes k copies of n bytes, and {@code close}, {@code abort} (closeNow) and
 * {@code half} (shutdownOutput) end the output.
 */
@Timeout(60)
class OffloadOrderTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(2, 256, Duration.ofSeconds(2), Duration.ofMillis(200), 1024, 65_536));
    private final ExecutorService workers = Executors.newFixedThreadPool(8);
    private final CountDownLatch gate = new CountDownLatch(1);
    private final List<WriteResult> results = new CopyOnWriteArrayList<>();
    private final AtomicInteger delivered = new AtomicInteger();
    private final AtomicInteger released = new AtomicInteger();
    private final AtomicInteger bodiesClosed = new AtomicInteger();
    private final AtomicInteger writable = new AtomicInteger();
    /** Direct writes made while replies were due: the case under test, counted so that a test cannot pass without it. */
    private final AtomicInteger writesBehindWork = new AtomicInteger();
    private TcpServer server;

    @AfterEach
    void stop() {
        gate.countDown();
        if (server != null) {
            server.stopAccepting(Duration.ofSeconds(2));
            server.forceClose(Duration.ofSeconds(2));
        }
        workers.shutdownNow();
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
    }

    private void start(TcpServer.Builder builder) throws IOException {
        server = builder.name("ordered").port(0).offloadExecutor(workers).decoder(FrameDecoders.lines(256))
                .messageHandler(new MessageHandler() {
                    @Override
                    public void onMessage(Connection c, ByteBuffer line) throws Exception {
                        delivered.incrementAndGet();
                        handle(c, StandardCharsets.US_ASCII.decode(line).toString());
                    }

                    @Override
                    public void onWritable(Connection c) {
                        writable.incrementAndGet();
                    }
                }).build();
        server.start(group);
    }

    private void handle(Connection c, String request) throws Exception {
        String[] parts = request.split(":", 3);
        String text = parts.length > 1 ? parts[1] : "";
        if (!parts[0].equals("slow") && !parts[0].equals("sleep") && c.offloadsInFlight() > 0) {
            writesBehindWork.incrementAndGet();
        }
        switch (parts[0]) {
            case "slow" -> c.offload(() -> {
                assertThat(gate.await(20, TimeUnit.SECONDS)).as("the test opens the gate").isTrue();
                return text;
            }, OffloadOrderTest::replyLine);
            case "sleep" -> {
                long micros = Long.parseLong(text);
                String reply = parts[2];
                c.offload(() -> {
                    TimeUnit.MICROSECONDS.sleep(micros);
                    return reply;
                }, OffloadOrderTest::replyLine);
            }
            case "copy" -> {
                c.write(line(text));
                results.add(c.writeStatus());
            }
            case "frame" -> {
                c.writeFrame(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)), FrameEncoders.lines());
                results.add(c.writeStatus());
            }
            case "owned" -> results.add(c.writeOwned(line(text), buffer -> released.incrementAndGet()));
            case "body" -> results.add(c.writeBody(body(text)));
            case "all" -> {
                c.write(line(text + "-copy"));
                results.add(c.writeStatus());
                results.add(c.writeOwned(line(text + "-owned"), buffer -> released.incrementAndGet()));
                results.add(c.writeBody(body(text + "-body")));
                if (parts.length > 2) {
                    handle(c, parts[2]); // a body holds input: what ends the output comes in the same request
                }
            }
            case "big" -> {
                int size = Integer.parseInt(text);
                for (int i = Integer.parseInt(parts[2]); i > 0; i--) {
                    c.write(ByteBuffer.allocate(size));
                    results.add(c.writeStatus());
                }
            }
            case "close" -> c.close();
            case "abort" -> c.closeNow();
            case "half" -> c.shutdownOutput();
            default -> throw new IllegalArgumentException(request);
        }
    }

    private static ByteBuffer line(String text) {
        return ByteBuffer.wrap((text + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    /** A body of two chunks, the text and the line end, that counts its close. */
    private BodySource body(String text) {
        Iterator<ByteBuffer> chunks = List.of(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)), line("")).iterator();
        return new BodySource() {
            @Override
            public ByteBuffer next() {
                return chunks.hasNext() ? chunks.next() : null;
            }

            @Override
            public void close() {
                bodiesClosed.incrementAndGet();
            }
        };
    }

    private static void replyLine(Connection c, String value) {
        c.write(line(value));
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
        socket.setSoTimeout(20_000);
        return socket;
    }

    private static void send(Socket socket, String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
    }

    private static String readAll(Socket socket) throws IOException {
        return new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    }

    /** Nothing arrives for a while: the replies are held back (bounded wait, a timeout on the read). */
    private static void nothingArrives(Socket socket) throws IOException {
        socket.setSoTimeout(300);
        try {
            int b = socket.getInputStream().read();
            assertThat(b).as("a byte arrived while the reply before it was due").isEqualTo(-2);
        } catch (java.net.SocketTimeoutException expected) {
            // nothing came
        } finally {
            socket.setSoTimeout(20_000);
        }
    }

    @Test
    void directWritesOfEveryKindBehindASlowOffloadGoOutInRequestOrder() throws Exception {
        start(TcpServer.builder());
        try (Socket socket = connect()) {
            send(socket, "slow:first\ncopy:second\nframe:third\nowned:fourth\nbody:fifth\ncopy:sixth\nsleep:100:seventh\ncopy:eighth\n");
            await().atMost(WAIT).until(() -> results.size() >= 4);
            nothingArrives(socket);
            assertThat(results).as("copies and owned buffers below the high watermark: OK; a body: SLOW_DOWN")
                    .containsExactly(WriteResult.OK, WriteResult.OK, WriteResult.OK, WriteResult.SLOW_DOWN);
            assertThat(delivered).as("a body held behind work holds input, as any body").hasValue(5);
            assertThat(server.pendingBytes()).as("held copies and owned bytes are pending")
                    .isEqualTo("second\nthird\nfourth\n".length());
            assertThat(released).hasValue(0);
            gate.countDown();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                lines.add(in.readLine());
            }
            assertThat(lines).containsExactly("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth");
        }
        assertThat(released).hasValue(1);
        assertThat(bodiesClosed).hasValue(1);
        assertThat(writesBehindWork.get()).isGreaterThanOrEqualTo(5);
        await().atMost(WAIT).until(() -> server.pendingBytes() == 0 && server.offloadsInFlight() == 0);
        assertThat(server.handlerErrors()).isZero();
    }

    @Test
    void aThousandPipelinedRequestsSomeOffloadedSomeInlineAreRepliedInRequestOrder() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        start(TcpServer.builder());
        StringBuilder requests = new StringBuilder();
        List<String> expected = new ArrayList<>();
        String[] inline = {"copy", "frame", "owned", "body"};
        for (int i = 0; i < 1000; i++) {
            if (random.nextInt(3) == 0) {
                requests.append("sleep:").append(random.nextInt(2_000)).append(':').append(i).append('\n');
            } else {
                requests.append(inline[random.nextInt(inline.length)]).append(':').append(i).append('\n');
            }
            expected.add(Integer.toString(i));
        }
        try (Socket socket = connect()) {
            send(socket, requests.toString());
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                lines.add(in.readLine());
            }
            assertThat(lines).as("seed " + seed).containsExactlyElementsOf(expected);
        }
        assertThat(writesBehindWork.get()).as("seed " + seed + ": inline replies were written while work was due")
                .isGreaterThan(100);
        await().atMost(WAIT).until(() -> server.pendingBytes() == 0 && server.offloadsInFlight() == 0);
        assertThat(server.offloadsDropped()).isZero();
        assertThat(server.handlerErrors()).isZero();
    }

    @Test
    void aGracefulCloseSendsTheReplyDueThenTheHeldWritesThenTheEndOfStream() throws Exception {
        start(TcpServer.builder());
        try (Socket socket = connect()) {
            send(socket, "slow:first\nall:second:close\ncopy:never\n");
            await().atMost(WAIT).until(() -> delivered.get() == 2);
            nothingArrives(socket);
            gate.countDown();
            assertThat(readAll(socket)).isEqualTo("first\nsecond-copy\nsecond-owned\nsecond-body\n");
        }
        await().atMost(WAIT).until(() -> server.closedConnections(CloseReason.LOCAL) == 1);
        assertThat(delivered).as("nothing is read after the close").hasValue(2);
        assertThat(released).hasValue(1);
        assertThat(bodiesClosed).hasValue(1);
        assertThat(server.pendingBytes()).isZero();
    }

    @Test
    void anOutputShutdownSendsTheHeldWritesFirstAndReadingGoesOn() throws Exception {
        start(TcpServer.builder());
        try (Socket socket = connect()) {
            send(socket, "slow:first\ncopy:second\nowned:third\nhalf\n");
            await().atMost(WAIT).until(() -> delivered.get() == 4);
            nothingArrives(socket);
            gate.countDown();
            assertThat(readAll(socket)).isEqualTo("first\nsecond\nthird\n");
            // Output is shut, input still read: the next line reaches the handler, whose write is refused.
            send(socket, "copy:late\n");
            await().atMost(WAIT).until(() -> delivered.get() == 5);
            assertThat(results).last().isEqualTo(WriteResult.CLOSED);
        }
        await().atMost(WAIT).until(() -> server.closedConnections(CloseReason.PEER_CLOSED) == 1);
        assertThat(released).hasValue(1);
    }

    @Test
    void anAbortiveCloseDropsTheHeldWritesReleasingWhatTheyHold() throws Exception {
        start(TcpServer.builder());
        try (Socket socket = connect()) {
            send(socket, "slow:first\nall:second:abort\n");
            await().atMost(WAIT).until(() -> server.closedConnections(CloseReason.LOCAL) == 1);
            String got;
            try {
                got = readAll(socket);
            } catch (SocketException reset) {
                got = "";
            }
            assertThat(got).as("neither the reply due nor the writes behind it").isEmpty();
        }
        assertThat(released).hasValue(1);
        assertThat(bodiesClosed).hasValue(1);
        assertThat(server.offloadsDropped()).isOne();
        assertThat(server.pendingBytes()).as("held bytes are no longer counted").isZero();
        assertThat(server.handlerErrors()).isZero();
    }

    @Test
    void heldCopiesCountAgainstMaxPendingBytes() throws Exception {
        // Watermarks 8/16 KiB, cap 32 KiB: the first 12 KiB copy is OK, the second passes high, the third the cap.
        start(TcpServer.builder().watermarks(8 * 1024, 16 * 1024).maxPendingBytes(32 * 1024));
        try (Socket socket = connect()) {
            send(socket, "slow:first\nbig:12288:3\n");
            await().atMost(WAIT).until(() -> server.closedConnections(CloseReason.PENDING_CAP) == 1);
            assertThat(results).containsExactly(WriteResult.OK, WriteResult.SLOW_DOWN, WriteResult.CLOSED);
            String got;
            try {
                got = readAll(socket);
            } catch (SocketException reset) {
                got = "";
            }
            assertThat(got).as("nothing held was sent").isEmpty();
        }
        assertThat(server.offloadsDropped()).isOne();
        assertThat(server.pendingBytes()).isZero();
    }

    @Test
    void heldBytesAboveTheHighWatermarkHoldInputUntilTheyWentOut() throws Exception {
        start(TcpServer.builder().watermarks(8 * 1024, 16 * 1024).maxPendingBytes(64 * 1024));
        try (Socket socket = connect()) {
            send(socket, "slow:first\nbig:20000:1\ncopy:after\n");
            await().atMost(WAIT).until(() -> results.size() == 1);
            assertThat(results).containsExactly(WriteResult.SLOW_DOWN);
            await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> delivered.get() == 2);
            assertThat(writable).hasValue(0);
            gate.countDown();
            InputStream in = socket.getInputStream();
            byte[] expected = new byte[6 + 20000 + 6];
            System.arraycopy("first\n".getBytes(StandardCharsets.US_ASCII), 0, expected, 0, 6);
            System.arraycopy("after\n".getBytes(StandardCharsets.US_ASCII), 0, expected, 6 + 20000, 6);
            assertThat(in.readNBytes(expected.length)).isEqualTo(expected);
        }
        assertThat(delivered).as("reading resumed").hasValue(3);
        assertThat(writable).as("onWritable once the held bytes drained").hasValue(1);
    }
}
