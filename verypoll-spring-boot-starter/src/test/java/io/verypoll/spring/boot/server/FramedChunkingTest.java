package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.frame.FrameDecoder;
import io.verypoll.spring.boot.frame.FrameDecoders;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * The framing path of a real connection does not depend on how the stream is cut into reads nor
 * on when the handler pauses: random frames, cut at random, with the handler pausing at random
 * frames and resuming from a task, come out whole and in order, with no input left held. Reads are
 * made on the loop exactly as the connection makes them (into the loop's read buffer, then the
 * handler), so every cut is the one asked for; a paused connection gets no read until it resumes.
 */
// A separate thread: a broken reader can spin without ever seeing the interrupt of a same-thread timeout.
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FramedChunkingTest {

    private static final int EXAMPLES = 150;

    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(1, 256, Duration.ofSeconds(2), Duration.ofMillis(200), 1024, 65_536));
    private TcpServer server;
    private final List<byte[]> frames = Collections.synchronizedList(new ArrayList<>());
    /** Frames whose arrays the handler took ({@link Connection#detachFrame}): read again at the end of each example. */
    private final List<ByteBuffer> taken = Collections.synchronizedList(new ArrayList<>());
    private final List<Integer> takenIndex = Collections.synchronizedList(new ArrayList<>());
    /** Set per example: the handler takes every frame it can instead of copying it. */
    private volatile boolean detaching;
    /** Set per example: the frame indices after which the handler pauses. */
    private volatile boolean[] pauseAfter = new boolean[0];

    @AfterEach
    void stop() {
        if (server != null) {
            server.stopAccepting(Duration.ofSeconds(2));
            server.forceClose(Duration.ofSeconds(2));
        }
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
    }

    /** A framing under test: its decoder and how it puts raw bytes on the wire (and what comes out). */
    private interface Framing {
        Supplier<FrameDecoder> decoders();

        /** The longest content: the server's max-frame-length. */
        default int maxFrameLength() {
            return 1000;
        }

        /** Appends the frame for {@code raw} to {@code wire}; returns the content the handler must get. */
        byte[] frame(byte[] raw, Random random, ByteArrayOutputStream wire);
    }

    private static final Framing LINES = new Framing() {
        public Supplier<FrameDecoder> decoders() {
            return FrameDecoders.shared(FrameDecoders.lines(1000));
        }

        public byte[] frame(byte[] raw, Random random, ByteArrayOutputStream wire) {
            byte[] content = raw.clone();
            for (int i = 0; i < content.length; i++) {
                if (content[i] == '\n' || content[i] == '\r' && i == content.length - 1) {
                    content[i] = 'x';
                }
            }
            wire.writeBytes(content);
            wire.writeBytes(random.nextBoolean() ? new byte[] {'\n'} : new byte[] {'\r', '\n'});
            return content;
        }
    };

    private static final Framing RESUMABLE_LINES = new Framing() {
        public Supplier<FrameDecoder> decoders() {
            return () -> FrameDecoders.lines(1000).resumable();
        }

        public byte[] frame(byte[] raw, Random random, ByteArrayOutputStream wire) {
            return LINES.frame(raw, random, wire);
        }
    };

    private static final Framing LENGTH_FIELD = new Framing() {
        public Supplier<FrameDecoder> decoders() {
            return FrameDecoders.shared(FrameDecoders.lengthField().fieldLength(2).stripHeader(true).maxFrameLength(1000).build());
        }

        public byte[] frame(byte[] raw, Random random, ByteArrayOutputStream wire) {
            wire.write(raw.length >>> 8);
            wire.write(raw.length & 0xFF);
            wire.writeBytes(raw);
            return raw;
        }
    };

    /** Length-prefixed (4 bytes) frames up to 200 000 bytes: announced, so the stash makes room for them at once. */
    private static final Framing LARGE_LENGTH_FIELD = new Framing() {
        public Supplier<FrameDecoder> decoders() {
            return FrameDecoders.shared(FrameDecoders.lengthField().fieldLength(4).stripHeader(true)
                    .maxFrameLength(maxFrameLength()).build());
        }

        public int maxFrameLength() {
            return 200_000;
        }

        public byte[] frame(byte[] raw, Random random, ByteArrayOutputStream wire) {
            wire.writeBytes(ByteBuffer.allocate(4).putInt(raw.length).array());
            wire.writeBytes(raw);
            return raw;
        }
    };

    private Connection start(Framing framing) throws Exception {
        BlockingQueue<Connection> opened = new ArrayBlockingQueue<>(1);
        server = TcpServer.builder().name("chunking").port(0).maxFrameLength(framing.maxFrameLength())
                .decoder(framing.decoders())
                .messageHandler(new MessageHandler() {
                    @Override
                    public void onOpen(Connection c) {
                        opened.add(c);
                    }

                    @Override
                    public void onMessage(Connection c, ByteBuffer frame) {
                        ByteBuffer kept = detaching ? c.detachFrame(frame) : null;
                        byte[] copy = new byte[frame.remaining()];
                        frame.duplicate().get(copy);
                        frames.add(copy);
                        if (kept != null) {
                            if (kept != frame || kept.remaining() != copy.length) {
                                throw new AssertionError("detachFrame must return the frame, content unmoved");
                            }
                            taken.add(kept);
                            takenIndex.add(frames.size() - 1);
                        }
                        boolean[] pauses = pauseAfter;
                        if (frames.size() <= pauses.length && pauses[frames.size() - 1]) {
                            c.pauseReading();
                            c.execute(c::resumeReading); // a task: after this read's batch, in a later turn
                        }
                    }
                }).build();
        server.start(group);
        return connect(server, sockets, opened);
    }
    /** Connects a client socket to {@code server} (kept in {@code sockets}, for closing) and returns the server's side. */
    static Connection connect(TcpServer server, List<Socket> sockets, BlockingQueue<Connection> opened) throws Exception {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
        sockets.add(socket);
        Connection connection = opened.poll(10, TimeUnit.SECONDS);
        assertThat(connection).isNotNull();
        return connection;
    }


    private final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void closeSockets() throws IOException {
        for (Socket socket : sockets) {
            socket.close();
        }
    }

    /** One read of {@code chunk}, made on the loop as the connection makes it, once the connection reads again. */
    static void read(Connection connection, byte[] chunk) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            CompletableFuture<Boolean> done = new CompletableFuture<>();
            connection.execute(() -> {
                ConnectionStateMachine machine = connection.machine();
                if (!machine.input.readingWanted()) {
                    done.complete(false); // paused: the connection would not read now
                    return;
                }
                ByteBuffer buffer = machine.runtime.readBuffer();
                buffer.clear();
                buffer.put(chunk).flip();
                machine.call(ConnectionStateMachine.Callback.DATA, buffer);
                done.complete(true);
            });
            if (done.get(10, TimeUnit.SECONDS)) {
                return;
            }
            assertThat(System.nanoTime()).as("the connection resumes reading").isLessThan(deadline);
        }
    }

    private static boolean holdsInput(Connection connection) throws Exception {
        CompletableFuture<Boolean> holds = new CompletableFuture<>();
        connection.execute(() -> holds.complete(connection.machine().framed().holdsInput()
                || !connection.machine().input.readingWanted()));
        return holds.get(10, TimeUnit.SECONDS);
    }

    private void check(Framing framing) throws Exception {
        check(framing, EXAMPLES);
    }

    private void check(Framing framing, int examples) throws Exception {
        Connection connection = start(framing);
        // No shrinking: a smaller seed is not a smaller example, and each try is a real connection's
        // worth of reads (a planted bug once had it shrink for 13 minutes). The failing seed is reported.
        qt().withExamples(examples).withShrinkCycles(0).forAll(longs().all()).checkAssert(seed -> {
            try {
                example(connection, framing, new Random(seed));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertThat(connection.isOpen()).isTrue();
    }

    private void example(Connection connection, Framing framing, Random random) throws Exception {
        boolean large = framing.maxFrameLength() > 1000;
        int count = 1 + random.nextInt(large ? 8 : 40);
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        List<byte[]> expected = new ArrayList<>();
        boolean[] pauses = new boolean[count];
        for (int i = 0; i < count; i++) {
            int largest = random.nextInt(4) == 0 ? framing.maxFrameLength()
                    : large && random.nextBoolean() ? 1000 : 40;
            byte[] raw = new byte[random.nextInt(largest)];
            for (int k = 0; k < raw.length; k++) {
                raw[k] = (byte) "ab\r\n\0".charAt(random.nextInt(5));
            }
            expected.add(framing.frame(raw, random, wire));
            pauses[i] = random.nextInt(5) == 0;
        }
        frames.clear();
        taken.clear();
        takenIndex.clear();
        pauseAfter = pauses;
        detaching = random.nextBoolean();
        byte[] stream = wire.toByteArray();
        int maxChunk = 1 + random.nextInt(large ? (random.nextBoolean() ? 4096 : 65_536) : random.nextBoolean() ? 16 : 2000);
        for (int at = 0; at < stream.length; ) {
            int n = Math.min(1 + random.nextInt(maxChunk), stream.length - at);
            byte[] chunk = new byte[n];
            System.arraycopy(stream, at, chunk, 0, n);
            read(connection, chunk);
            at += n;
        }
        // Each resume hands on the kept frames up to the next pause: resume until none is kept.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (holdsInput(connection)) {
            read(connection, new byte[0]);
            assertThat(System.nanoTime()).as("the kept frames come out").isLessThan(deadline);
        }
        assertThat(frames).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            assertThat(frames.get(i)).as("frame %d of %d", i, expected.size()).isEqualTo(expected.get(i));
        }
        for (int k = 0; k < taken.size(); k++) {
            byte[] now = new byte[taken.get(k).remaining()];
            taken.get(k).duplicate().get(now);
            assertThat(now).as("taken frame %d, never written by the connection again", takenIndex.get(k))
                    .isEqualTo(expected.get(takenIndex.get(k)));
        }
        assertThat(server.bufferedInputBytes()).as("nothing held between examples").isZero();
    }

    @Test
    void linesComeOutWholeAndInOrderHoweverCutAndPaused() throws Exception {
        check(LINES);
    }

    @Test
    void resumableLinesComeOutWholeAndInOrderHoweverCutAndPaused() throws Exception {
        check(RESUMABLE_LINES);
    }

    @Test
    void lengthPrefixedFramesComeOutWholeAndInOrderHoweverCutAndPaused() throws Exception {
        check(LENGTH_FIELD);
    }

    @Test
    void largeAnnouncedFramesComeOutWholeAndTakenOnesStayIntactHoweverCutAndPaused() throws Exception {
        check(LARGE_LENGTH_FIELD, 40);
    }
}
