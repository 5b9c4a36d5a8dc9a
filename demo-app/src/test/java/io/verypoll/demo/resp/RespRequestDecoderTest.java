package io.verypoll.demo.resp;

import io.verypoll.spring.boot.frame.FrameException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.verypoll.demo.resp.Resp.ascii;
import static io.verypoll.demo.resp.Resp.command;
import static io.verypoll.demo.resp.Resp.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.lists;

/**
 * The RESP request decoder as a framed connection drives it: the same commands come out whatever
 * the reads are (whole, split at every offset or every pair of offsets, byte by byte, random
 * chunks), heap and direct; each frame is one command as sent, and {@link RespArguments} reads
 * the right arguments out of it.
 */
@Timeout(60)
class RespRequestDecoderTest {

    private static final long SEED = 0x7E5_9D3CL;
    private static final RespLimits LIMITS = RespLimits.DEFAULTS;

    /** Commands of every shape, with the arguments each holds. */
    private static final List<byte[]> COMMANDS = new ArrayList<>();
    private static final List<List<String>> ARGUMENTS = new ArrayList<>();

    static {
        add(command("PING"), "PING");
        byte[] binary = {'\r', '\n', '*', '$', 0, (byte) 0xFF, '\r', '\n', '1', '0'};
        add(command(ascii("SET"), ascii("key"), binary), "SET", "key", text(binary));
        add(command("ECHO", ""), "ECHO", "");
        add(ascii("*0\r\n"));
        add(ascii("PING\r\n"), "PING");
        add(ascii("SET a b\n"), "SET", "a", "b");
        add(ascii("\r\n"));
        add(ascii("\n"));
        add(ascii("  get \t key\r  \r\n"), "get", "key");
        String[] twelve = new String[12];
        for (int i = 0; i < twelve.length; i++) {
            twelve[i] = "k".repeat(i * 3);
        }
        add(command(twelve), twelve);
        add(ascii("*2\r\n$4\r\nECHO\r\n$11\r\nhello world\r\n"), "ECHO", "hello world");
        add(ascii("$3 +x -y :z\n"), "$3", "+x", "-y", ":z");
    }

    private static void add(byte[] wire, String... arguments) {
        COMMANDS.add(wire);
        ARGUMENTS.add(List.of(arguments));
    }

    private static RespCaller caller(boolean direct) {
        return new RespCaller(new RespRequestDecoder(LIMITS), LIMITS.maxCommandLength(), direct);
    }

    private static void assertCommands(List<byte[]> frames) {
        assertThat(frames).hasSize(COMMANDS.size());
        for (int i = 0; i < frames.size(); i++) {
            assertThat(text(frames.get(i))).as("frame %d", i).isEqualTo(text(COMMANDS.get(i)));
            assertThat(arguments(frames.get(i))).as("arguments of frame %d", i).isEqualTo(ARGUMENTS.get(i));
        }
    }

    private static List<String> arguments(byte[] frame) {
        RespArguments args = new RespArguments();
        ByteBuffer buffer = ByteBuffer.allocateDirect(frame.length + 6).position(3);
        buffer.put(frame).flip().position(3);
        int n = args.parse(buffer);
        List<String> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(text(args.copy(i)));
        }
        return list;
    }

    @Test
    void theSameCommandsWholeOrSplitAtEveryOffset() {
        byte[] stream = Resp.concat(COMMANDS);
        for (boolean direct : new boolean[] {false, true}) {
            RespCaller whole = caller(direct);
            assertCommands(whole.feed(stream));
            assertThat(whole.waiting()).isZero();
            for (int split = 0; split <= stream.length; split++) {
                RespCaller caller = caller(direct);
                caller.feed(stream, 0, split);
                caller.feed(stream, split, stream.length);
                assertCommands(caller.frames());
                assertThat(caller.waiting()).isZero();
            }
        }
    }

    @Test
    void theSameCommandsSplitAtEveryPairOfOffsets() {
        byte[] stream = Resp.concat(COMMANDS);
        for (int a = 0; a <= stream.length; a++) {
            for (int b = a; b <= stream.length; b++) {
                RespCaller caller = caller((a + b) % 2 == 0);
                caller.feed(stream, 0, a);
                caller.feed(stream, a, b);
                caller.feed(stream, b, stream.length);
                assertThat(caller.frames()).as("split at %d and %d", a, b).hasSize(COMMANDS.size());
                assertThat(caller.waiting()).isZero();
            }
        }
    }

    @Test
    void byteByByteEachCommandComesOutWithItsLastByte() {
        for (boolean direct : new boolean[] {false, true}) {
            RespCaller caller = caller(direct);
            for (byte[] wire : COMMANDS) {
                for (int i = 0; i < wire.length - 1; i++) {
                    assertThat(caller.feed(wire, i, i + 1)).as("before the last byte of " + text(wire)).isEmpty();
                }
                assertThat(caller.feed(wire, wire.length - 1, wire.length)).hasSize(1);
            }
            assertCommands(caller.frames());
        }
    }

    @Test
    void randomChunksGiveTheSameCommands() {
        byte[] stream = Resp.concat(COMMANDS);
        Gen<List<Integer>> chunks = lists().of(Generate.range(1, 40)).ofSizeBetween(1, 8);
        qt().withFixedSeed(SEED).withExamples(300).forAll(chunks, Generate.booleans()).checkAssert((sizes, direct) -> {
            RespCaller caller = caller(direct);
            assertCommands(caller.feedInChunks(stream, sizes.stream().mapToInt(Integer::intValue).toArray()));
            assertThat(caller.waiting()).isZero();
        });
    }

    @Test
    void aThousandPipelinedCommandsInOneReadComeOutInOrder() {
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            sent.add(i % 3 == 0 ? ascii("INCR n" + i + "\r\n") : command("SET", "key:" + i, "v".repeat(i % 50)));
        }
        RespCaller caller = caller(true);
        List<byte[]> frames = caller.feed(Resp.concat(sent));
        assertThat(frames).hasSize(1000);
        for (int i = 0; i < 1000; i++) {
            assertThat(frames.get(i)).isEqualTo(sent.get(i));
        }
    }

    @Test
    void anIncompleteCommandIsResumedWhereItsParsingStopped() {
        // A command arriving in many reads is parsed once: each call starts after the last complete
        // bulk string (or the last byte scanned of an inline line), not at the command's start.
        String[] many = new String[50];
        Arrays.fill(many, "abcdefgh");
        many[0] = "DEL";
        byte[] wire = command(many);
        RespRequestDecoder decoder = new RespRequestDecoder(LIMITS);
        int header = 5; // *50\r\n
        int argument = 14; // $8\r\nabcdefgh\r\n
        for (int complete = 1; complete < 50; complete++) {
            int end = header + 9 + (complete - 1) * argument; // $3\r\nDEL\r\n, then the rest
            ByteBuffer in = ByteBuffer.wrap(wire, 0, end + 3); // and the start of the next header
            assertThat(decoder.decode(in)).isZero();
            assertThat(decoder.resumeOffset()).as("after %d arguments", complete).isEqualTo(end);
        }
        assertThat(decoder.decode(ByteBuffer.wrap(wire))).isEqualTo(wire.length);
        assertThat(decoder.resumeOffset()).isZero();

        byte[] inline = ascii("EXISTS a b c\r\n");
        for (int seen = 1; seen < inline.length; seen++) {
            assertThat(decoder.decode(ByteBuffer.wrap(inline, 0, seen))).isZero();
            assertThat(decoder.resumeOffset()).isEqualTo(seen);
        }
        assertThat(decoder.decode(ByteBuffer.wrap(inline))).isEqualTo(inline.length);
    }

    @Test
    void fewerBytesThanBeforeIsANewStream() {
        RespRequestDecoder decoder = new RespRequestDecoder(LIMITS);
        byte[] partial = Arrays.copyOf(command("SET", "k", "v"), 16);
        assertThat(decoder.decode(ByteBuffer.wrap(partial))).isZero();
        byte[] ping = command("PING");
        ByteBuffer fresh = ByteBuffer.wrap(ping);
        assertThat(decoder.decode(fresh)).isEqualTo(ping.length);
        assertThat(fresh.limit()).isEqualTo(ping.length);
    }

    @Test
    void malformedRequestsAreFrameErrorsNotLimits() {
        for (String bad : List.of("*a\r\n", "*1\r\n+PING\r\n", "*1\r\n$4\r\nPINGxx", "*01\r\n", "*1\r\n$-1\r\n",
                "*1\r\n$4\r\nPING\rX", "*\r\n", "*1\rX", "*-1\r\n", "*1\r\n$\r\n", "*1\r\n$00\r\n", "*1\r\n$4x")) {
            RespCaller caller = caller(false);
            assertThatFrameError(() -> caller.feed(ascii(bad)), bad);
        }
    }

    private static void assertThatFrameError(Runnable feeding, String input) {
        try {
            feeding.run();
        } catch (FrameException e) {
            assertThat(e).as(input).isNotInstanceOf(io.verypoll.spring.boot.frame.FrameTooLongException.class);
            return;
        }
        throw new AssertionError("no FrameException for " + input);
    }

    @Test
    void anIncompleteCommandAnnouncesItsLengthOnceABulkLengthIsRead() {
        byte[] value = new byte[100_000];
        byte[] set = command(ascii("SET"), ascii("k"), value);
        int valueHeaderEnd = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\n".length();
        RespRequestDecoder decoder = new RespRequestDecoder(LIMITS);
        for (int have = 1; have < set.length; have += have < 40 ? 1 : 997) {
            ByteBuffer in = ByteBuffer.wrap(set, 0, have).slice();
            assertThat(decoder.decode(in)).isZero();
            long announced = decoder.expectedLength(in);
            if (have >= valueHeaderEnd) {
                assertThat(announced).as("%d bytes in hand", have).isEqualTo(set.length);
            } else {
                // Known up to the bulk string being read, and the shortest argument for each still to come.
                assertThat(announced).as("%d bytes in hand", have).isLessThanOrEqualTo(set.length);
            }
        }
        assertThat(decoder.decode(ByteBuffer.wrap(set))).isEqualTo(set.length);
        assertThat(decoder.expectedLength(ByteBuffer.wrap(set, 0, 3))).as("nothing once complete").isZero();
        byte[] withOptions = command(ascii("SET"), ascii("k"), value, ascii("EX"), ascii("100"));
        RespRequestDecoder fresh = new RespRequestDecoder(LIMITS);
        ByteBuffer half = ByteBuffer.wrap(withOptions, 0, 50_000).slice();
        assertThat(fresh.decode(half)).isZero();
        assertThat(fresh.expectedLength(half)).as("a lower bound: the options may be longer than the shortest argument")
                .isBetween(valueHeaderEnd + 100_002L, (long) withOptions.length);
        assertThat(new RespRequestDecoder(LIMITS).expectedLength(ByteBuffer.wrap(ascii("PING")))).isZero();
    }
}
