package io.verypoll.spring.boot.frame;

import io.verypoll.spring.boot.frame.FramingCase.Frame;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.lists;

/**
 * For every decoder: the frames do not depend on how the stream is cut into reads. Whole, split in
 * two at every offset, byte by byte, or in random chunks, the same frames come out in order, with
 * nothing left over; heap and direct buffers alike.
 */
@Timeout(120)
class ChunkingTest {

    private static final long SEED = 0x5EED_F4A3E5L;

    static Stream<FramingCase> cases() {
        return FramingCase.all().stream();
    }

    /** Raw contents that exercise the edges: empty, one byte, terminator and delimiter bytes, a longer run. */
    private static List<byte[]> sampleRaws() {
        Random random = new Random(SEED);
        List<byte[]> raws = new ArrayList<>();
        raws.add(new byte[0]);
        raws.add(new byte[] {'a'});
        raws.add("a\rb|aa\0ab".getBytes());
        raws.add(new byte[0]);
        raws.add("\r\n\r".getBytes());
        byte[] longer = new byte[60];
        for (int i = 0; i < longer.length; i++) {
            longer[i] = ALPHABET[random.nextInt(ALPHABET.length)];
        }
        raws.add(longer);
        raws.add("abab|x".getBytes());
        return raws;
    }

    private static final byte[] ALPHABET = {'\n', '\r', 'a', 'b', '|', 0, (byte) 0x80, (byte) 0xFF, 'x'};

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void splittingInTwoAtEveryOffsetGivesTheSameFrames(FramingCase framing) {
        List<Frame> frames = framing.frames(sampleRaws());
        byte[] stream = FramingCase.wire(frames);
        List<byte[]> expected = FramingCase.contents(frames);
        for (boolean direct : new boolean[] {false, true}) {
            DecodingCaller whole = framing.caller(direct);
            whole.feed(stream);
            assertThat(whole.frames()).as("whole, direct=" + direct).containsExactlyElementsOf(expected);
            assertThat(whole.waiting()).isZero();
            for (int split = 0; split <= stream.length; split++) {
                DecodingCaller caller = framing.caller(direct);
                caller.feed(Arrays.copyOfRange(stream, 0, split));
                caller.feed(Arrays.copyOfRange(stream, split, stream.length));
                assertThat(caller.frames()).as("split at " + split + ", direct=" + direct)
                        .containsExactlyElementsOf(expected);
                assertThat(caller.waiting()).isZero();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void byteByByteGivesTheSameFramesEachAsSoonAsItsLastByteArrives(FramingCase framing) {
        List<Frame> frames = framing.frames(sampleRaws());
        for (boolean direct : new boolean[] {false, true}) {
            DecodingCaller caller = framing.caller(direct);
            for (Frame frame : frames) {
                byte[] wire = frame.wire();
                for (int i = 0; i < wire.length - 1; i++) {
                    assertThat(caller.feed(new byte[] {wire[i]})).as("before the frame's last byte").isEmpty();
                }
                assertThat(caller.feed(new byte[] {wire[wire.length - 1]})).containsExactly(frame.content());
            }
            assertThat(caller.waiting()).isZero();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void randomContentsInRandomChunksGiveTheSameFrames(FramingCase framing) {
        Gen<Byte> bytes = Generate.frequency(
                Pair.of(3, Generate.pick(bytesOf(ALPHABET))),
                Pair.of(1, Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0)));
        Gen<List<byte[]>> raws = lists().of(Generate.byteArrays(Generate.range(0, 40), bytes)).ofSizeBetween(0, 12)
                .describedAs(list -> list.stream().map(Arrays::toString).toList().toString());
        Gen<List<Integer>> chunks = lists().of(Generate.range(1, 50)).ofSizeBetween(1, 8);
        qt().withFixedSeed(SEED).withExamples(150).forAll(raws, chunks, Generate.booleans())
                .checkAssert((contents, chunkSizes, direct) -> {
                    List<Frame> frames = framing.frames(contents);
                    byte[] stream = FramingCase.wire(frames);
                    DecodingCaller caller = framing.caller(direct);
                    int[] sizes = chunkSizes.stream().mapToInt(Integer::intValue).toArray();
                    assertThat(DecodingCaller.decodeInChunks(caller, stream, sizes))
                            .containsExactlyElementsOf(FramingCase.contents(frames));
                    assertThat(caller.waiting()).isZero();
                });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void manyPipelinedFramesInOneBufferAllComeOutInOrder(FramingCase framing) {
        Random random = new Random(SEED);
        List<byte[]> raws = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            byte[] raw = new byte[random.nextInt(50)];
            for (int k = 0; k < raw.length; k++) {
                raw[k] = ALPHABET[random.nextInt(ALPHABET.length)];
            }
            if (raw.length > 0) {
                raw[0] = (byte) i; // tags the frames, so a wrong order shows
            }
            raws.add(raw);
        }
        List<Frame> frames = framing.frames(raws);
        byte[] stream = FramingCase.wire(frames);
        for (boolean direct : new boolean[] {false, true}) {
            DecodingCaller caller = framing.caller(direct);
            assertThat(caller.feed(stream)).containsExactlyElementsOf(FramingCase.contents(frames));
            assertThat(caller.waiting()).isZero();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void anIncompleteLastFrameWaitsForTheRest(FramingCase framing) {
        List<Frame> frames = framing.frames(sampleRaws());
        byte[] stream = FramingCase.wire(frames);
        Frame last = frames.get(frames.size() - 1);
        for (boolean direct : new boolean[] {false, true}) {
            DecodingCaller caller = framing.caller(direct);
            caller.feed(Arrays.copyOf(stream, stream.length - 1));
            assertThat(caller.frames()).hasSize(frames.size() - 1);
            assertThat(caller.waiting()).isEqualTo(last.wire().length - 1);
            caller.feed(new byte[] {stream[stream.length - 1]});
            assertThat(caller.frames()).last().isEqualTo(last.content());
        }
    }

    private static List<Byte> bytesOf(byte[] bytes) {
        List<Byte> list = new ArrayList<>();
        for (byte b : bytes) {
            list.add(b);
        }
        return list;
    }
}
