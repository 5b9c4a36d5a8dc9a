package io.verypoll.spring.boot.frame;

import io.verypoll.spring.boot.frame.FramingCase.Frame;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * The built-in decoders allocate nothing per call, complete frame or not, on heap and direct
 * buffers: measured with the JVM's per-thread allocation counter over 100,000 calls after as many
 * to warm up.
 */
@Timeout(120)
class DecoderAllocationTest {

    private static final int CALLS = 100_000;
    private static final int FRAMES = 8;

    static Stream<FramingCase> cases() {
        return Stream.of(FramingCase.lines(false), FramingCase.lines(true),
                FramingCase.lines(false, true),
                FramingCase.delimited("|", false), FramingCase.delimited("\r\n\r\n", true),
                FramingCase.delimited("\r\n\r\n", false, true),
                FramingCase.lengthField(2, ByteOrder.BIG_ENDIAN, 0, 0, -1),
                FramingCase.lengthField(3, ByteOrder.LITTLE_ENDIAN, 1, 0, 0),
                FramingCase.lengthField(4, ByteOrder.LITTLE_ENDIAN, 3, -7, -1),
                FramingCase.lengthField(8, ByteOrder.BIG_ENDIAN, 0, 2, 9),
                FramingCase.fixed(7));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void decodingAllocatesNothingPerCall(FramingCase framing) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        assumeThat(threads).isInstanceOf(com.sun.management.ThreadMXBean.class);
        com.sun.management.ThreadMXBean allocation = (com.sun.management.ThreadMXBean) threads;
        assumeThat(allocation.isThreadAllocatedMemorySupported()).isTrue();
        allocation.setThreadAllocatedMemoryEnabled(true);
        long thread = Thread.currentThread().getId();

        List<byte[]> raws = new ArrayList<>();
        for (int i = 0; i < FRAMES; i++) {
            raws.add(("frame " + i + " with some text in it, a\rb|c").getBytes());
        }
        List<Frame> frames = framing.frames(raws);
        byte[] stream = FramingCase.wire(frames);
        FrameDecoder decoder = framing.decoders().get();
        for (boolean direct : new boolean[] {false, true}) {
            ByteBuffer complete = DecodingCaller.buffer(stream, direct);
            // All but the last byte of the first frame: every call finds it incomplete.
            ByteBuffer incomplete = DecodingCaller.buffer(stream, direct);
            incomplete.limit(incomplete.position() + frames.get(0).wire().length - 1);

            decodeFrames(decoder, complete, CALLS);
            decodeIncomplete(decoder, incomplete, CALLS);
            long before = allocation.getThreadAllocatedBytes(thread);
            long consumed = decodeFrames(decoder, complete, CALLS);
            long afterComplete = allocation.getThreadAllocatedBytes(thread);
            long zeros = decodeIncomplete(decoder, incomplete, CALLS);
            long afterIncomplete = allocation.getThreadAllocatedBytes(thread);

            assertThat(consumed).isEqualTo((long) stream.length * (CALLS / FRAMES));
            assertThat(zeros).isEqualTo(CALLS);
            double perComplete = (double) (afterComplete - before) / CALLS;
            double perIncomplete = (double) (afterIncomplete - afterComplete) / CALLS;
            System.out.printf("%s, %s: %d bytes in %d complete decodes (%.4f/call), %d bytes in %d incomplete (%.4f/call)%n",
                    framing, direct ? "direct" : "heap", afterComplete - before, CALLS, perComplete,
                    afterIncomplete - afterComplete, CALLS, perIncomplete);
            // A few hundred bytes once (the JIT settling in the first measured loop) are tolerated,
            // not garbage per call.
            assertThat(perComplete).as("bytes per complete decode").isLessThan(0.1);
            assertThat(perIncomplete).as("bytes per incomplete decode").isLessThan(0.1);
        }
    }

    /** Decodes the buffer's frames in a ring, as a caller does (restoring position and limit); returns bytes consumed. */
    private static long decodeFrames(FrameDecoder decoder, ByteBuffer in, int calls) {
        int start = in.position();
        int end = in.limit();
        int at = start;
        long consumed = 0;
        for (int i = 0; i < calls; i++) {
            in.limit(end).position(at);
            int n = decoder.decode(in);
            consumed += n;
            at = at + n == end ? start : at + n;
        }
        in.limit(end).position(start);
        return consumed;
    }

    private static long decodeIncomplete(FrameDecoder decoder, ByteBuffer in, int calls) {
        int start = in.position();
        int end = in.limit();
        long zeros = 0;
        for (int i = 0; i < calls; i++) {
            in.limit(end).position(start);
            zeros += decoder.decode(in) == 0 ? 1 : 0;
        }
        return zeros;
    }
}
