package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.frame.FrameDecoder;
import io.verypoll.spring.boot.frame.FrameDecoders;
import io.verypoll.spring.boot.frame.FrameTooLongException;
import io.verypoll.spring.boot.frame.LengthFieldDecoder;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Frames whose length the decoder announces: the connection makes one array for the whole frame
 * (no regrowth), the handler can take that array without a copy, any cut of the stream gives the
 * same frames, and an announced length over the limit closes the connection before anything is
 * reserved. Reads are made on the loop as the connection makes them ({@link FramedChunkingTest#read}).
 */
@Timeout(120)
class FramedLargeFrameTest {

    private static final int MIB = 1 << 20;

    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(1, 256, Duration.ofSeconds(2), Duration.ofMillis(200), 1024, 65_536));
    private final List<Socket> sockets = new ArrayList<>();
    private TcpServer server;
    private final List<byte[]> frames = Collections.synchronizedList(new ArrayList<>());
    private final List<ByteBuffer> taken = Collections.synchronizedList(new ArrayList<>());
    private final AtomicReference<FrameTooLongException> tooLong = new AtomicReference<>();
    private volatile boolean detaching = true;

    @AfterEach
    void stop() throws Exception {
        for (Socket socket : sockets) {
            socket.close();
        }
        if (server != null) {
            server.stopAccepting(Duration.ofSeconds(2));
            server.forceClose(Duration.ofSeconds(2));
        }
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
    }

    private static LengthFieldDecoder lengthField(int max) {
        return FrameDecoders.lengthField().fieldLength(4).stripHeader(true).maxFrameLength(max).build();
    }

    private static byte[] frame(int length, long seed) {
        byte[] content = new byte[length];
        new Random(seed).nextBytes(content);
        return content;
    }

    private static byte[] wire(byte[]... contents) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] content : contents) {
            out.writeBytes(ByteBuffer.allocate(4).putInt(content.length).array());
            out.writeBytes(content);
        }
        return out.toByteArray();
    }

    private Connection start(FrameDecoder decoder, int maxFrameLength) throws Exception {
        BlockingQueue<Connection> opened = new ArrayBlockingQueue<>(1);
        server = TcpServer.builder().name("large").port(0).maxFrameLength(maxFrameLength)
                .decoder(FrameDecoders.shared(decoder)).messageHandler(new MessageHandler() {
                    @Override
                    public void onOpen(Connection c) {
                        opened.add(c);
                    }

                    @Override
                    public void onMessage(Connection c, ByteBuffer frame) {
                        byte[] copy = new byte[frame.remaining()];
                        frame.duplicate().get(copy);
                        frames.add(copy);
                        ByteBuffer kept = detaching ? c.detachFrame(frame) : null;
                        if (kept != null) {
                            taken.add(kept);
                        }
                    }

                    @Override
                    public void onFrameTooLong(Connection c, FrameTooLongException error) {
                        tooLong.set(error);
                    }
                }).build();
        server.start(group);
        return FramedChunkingTest.connect(server, sockets, opened);
    }

    /** {@code stream} as reads of {@code size} bytes (the last one shorter). */
    private static void readInChunks(Connection connection, byte[] stream, int size) throws Exception {
        for (int at = 0; at < stream.length; at += size) {
            FramedChunkingTest.read(connection, Arrays.copyOfRange(stream, at, Math.min(stream.length, at + size)));
        }
    }

    private static long arraysMade(Connection connection) throws Exception {
        CompletableFuture<Long> made = new CompletableFuture<>();
        connection.execute(() -> made.complete(connection.machine().framed().stash().arraysMade()));
        return made.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aMebibyteFrameAnnouncedByItsHeaderFillsOneArrayThatTheHandlerTakes() throws Exception {
        Connection connection = start(lengthField(2 * MIB), 2 * MIB);
        byte[] first = frame(MIB, 1);
        readInChunks(connection, wire(first), 64 * 1024);
        assertThat(arraysMade(connection)).as("one array for 16 reads of 64 KiB, never regrown").isEqualTo(1);
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0)).isEqualTo(first);
        assertThat(taken).as("the handler took the array").hasSize(1);
        assertThat(taken.get(0).array().length).as("the frame, its header and a little headroom")
                .isBetween(MIB + 4, MIB + 4 + 4096);
        assertThat(server.bufferedInputBytes()).as("the taken array is no longer the server's").isZero();

        byte[] second = frame(MIB, 2);
        readInChunks(connection, wire(second), 64 * 1024);
        assertThat(arraysMade(connection)).as("a new array for the next frame").isEqualTo(2);
        assertThat(frames.get(1)).isEqualTo(second);
        byte[] firstNow = new byte[taken.get(0).remaining()];
        taken.get(0).duplicate().get(firstNow);
        assertThat(firstNow).as("the first taken frame is left alone").isEqualTo(first);
        assertThat(connection.isOpen()).isTrue();
    }

    @Test
    void aHeaderAloneReservesLittleAndAFullReadTheWholeFrame() throws Exception {
        Connection connection = start(lengthField(2 * MIB), 2 * MIB);
        byte[] content = frame(MIB, 7);
        byte[] stream = wire(content);
        FramedChunkingTest.read(connection, Arrays.copyOfRange(stream, 0, 30));
        assertThat(server.bufferedInputBytes()).as("26 bytes of a 1 MiB frame: no room made for the rest yet")
                .isLessThanOrEqualTo(256);
        FramedChunkingTest.read(connection, Arrays.copyOfRange(stream, 30, 30 + 64 * 1024));
        assertThat(server.bufferedInputBytes()).as("64 KiB more: room for the whole frame, once")
                .isBetween(MIB + 4L, MIB + 4L + 4096);
        readInChunks(connection, Arrays.copyOfRange(stream, 30 + 64 * 1024, stream.length), 64 * 1024);
        assertThat(arraysMade(connection)).as("a small array for the header, then one for the frame").isEqualTo(2);
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0)).isEqualTo(content);
        assertThat(server.bufferedInputBytes()).isZero();
    }

    @Test
    void theSameFrameUnannouncedRegrowsAsItArrives() throws Exception {
        LengthFieldDecoder lengthField = lengthField(2 * MIB);
        Connection connection = start(lengthField::decode, 2 * MIB); // a decoder that does not announce
        byte[] content = frame(MIB, 3);
        readInChunks(connection, wire(content), 64 * 1024);
        long made = arraysMade(connection);
        System.out.println("arrays made for a 1 MiB frame in 64 KiB reads: " + made + " unannounced, 1 announced");
        assertThat(made).isEqualTo(6);
        assertThat(frames.get(0)).isEqualTo(content);
    }

    @Test
    void everyCutAroundALargeFrameGivesTheSameFrames() throws Exception {
        Connection connection = start(lengthField(10_000), 10_000);
        byte[][] contents = {frame(10, 4), frame(5000, 5), frame(7, 6)};
        byte[] stream = wire(contents);
        for (int cut = 1; cut < stream.length; cut++) {
            frames.clear();
            taken.clear();
            detaching = cut % 2 == 0;
            // Two reads cut here, or three with a second cut further on.
            int second = cut % 3 == 0 ? cut + 1 + (cut * 31) % (stream.length - cut) : stream.length;
            FramedChunkingTest.read(connection, Arrays.copyOfRange(stream, 0, cut));
            FramedChunkingTest.read(connection, Arrays.copyOfRange(stream, cut, second));
            if (second < stream.length) {
                FramedChunkingTest.read(connection, Arrays.copyOfRange(stream, second, stream.length));
            }
            assertThat(frames).as("cut at %d and %d", cut, second).hasSize(3);
            for (int i = 0; i < 3; i++) {
                assertThat(frames.get(i)).as("frame %d, cut at %d and %d", i, cut, second).isEqualTo(contents[i]);
            }
            for (ByteBuffer kept : taken) {
                byte[] now = new byte[kept.remaining()];
                kept.duplicate().get(now);
                assertThat(Arrays.asList(contents)).as("a taken frame, cut at %d", cut).anySatisfy(c -> assertThat(c).isEqualTo(now));
            }
            if (cut > 14 && cut < 5014 && detaching) {
                assertThat(taken).as("the large frame came in two reads: taken, cut at %d", cut).isNotEmpty();
            }
            assertThat(server.bufferedInputBytes()).as("nothing held, cut at %d", cut).isZero();
        }
        assertThat(connection.isOpen()).isTrue();
    }

    @Test
    void anAnnouncedLengthOverTheLimitClosesBeforeAnythingIsReserved() throws Exception {
        // A decoder that leaves the limit to its caller: it announces whatever the field says.
        FrameDecoder trusting = new FrameDecoder() {
            @Override
            public int decode(ByteBuffer in) {
                return 0; // never complete: only the announcement matters here
            }

            @Override
            public long expectedLength(ByteBuffer in) {
                return in.remaining() < 4 ? 0 : 4 + (in.getInt(in.position()) & 0xFFFFFFFFL);
            }
        };
        Connection connection = start(trusting, 64 * 1024);
        byte[] hostile = ByteBuffer.allocate(30).putInt(2_000_000_000).array();
        FramedChunkingTest.read(connection, hostile);
        await().atMost(Duration.ofSeconds(10)).until(() -> server.closedConnections(CloseReason.FRAME_TOO_LONG) == 1);
        assertThat(tooLong.get()).isNotNull();
        assertThat(tooLong.get().maxFrameLength()).isEqualTo(64 * 1024);
        assertThat(tooLong.get().length()).isGreaterThan(64 * 1024);
        assertThat(arraysMade(connection)).as("no array made for it").isZero();
        assertThat(server.bufferedInputBytes()).isZero();
    }
}
