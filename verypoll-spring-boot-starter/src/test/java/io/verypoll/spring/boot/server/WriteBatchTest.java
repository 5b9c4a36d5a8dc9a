package io.verypoll.spring.boot.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The batch's bookkeeping: which bytes are views (no copy), which are copies, and when it is full. */
@Timeout(10)
class WriteBatchTest {

    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(1024);
    private final WriteBatch batch = new WriteBatch();
    private final ByteBuffer frame = batch.frameView(readBuffer);

    private void fill(String text) {
        readBuffer.clear();
        readBuffer.put(text.getBytes(StandardCharsets.US_ASCII)).flip();
    }

    private static ByteBuffer ascii(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    }

    private static String content(ByteBuffer segment) {
        return StandardCharsets.US_ASCII.decode(segment.duplicate()).toString();
    }

    /** A channel that takes up to {@code budget} bytes and keeps them, counting calls. */
    private static final class Sink implements GatheringByteChannel {
        final ByteArrayOutputStream taken = new ByteArrayOutputStream();
        final List<Integer> calls = new ArrayList<>();
        long budget = Long.MAX_VALUE;

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) {
            calls.add(length);
            long n = 0;
            for (int i = offset; i < offset + length && budget > 0; i++) {
                while (srcs[i].hasRemaining() && budget > 0) {
                    taken.write(srcs[i].get());
                    budget--;
                    n++;
                }
            }
            return n;
        }

        @Override
        public long write(ByteBuffer[] srcs) {
            return write(srcs, 0, srcs.length);
        }

        @Override
        public int write(ByteBuffer src) {
            return (int) write(new ByteBuffer[] {src}, 0, 1);
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void theFrameViewIsGatheredAsAViewAndAnythingElseAsACopy() {
        fill("hello world");
        frame.limit(5).position(0);
        assertThat(batch.gather(frame)).isTrue();
        assertThat(frame.hasRemaining()).as("consumed, as a write consumes").isFalse();
        ByteBuffer own = ascii(" there");
        assertThat(batch.gather(own)).isTrue();
        own.clear().put((byte) 'X'); // the handler reuses its buffer
        readBuffer.put(0, (byte) 'J'); // and the read buffer changes (it does not before the batch is sent)
        assertThat(batch.count()).isEqualTo(2);
        assertThat(content(batch.segments()[0])).as("a view: sees the change").isEqualTo("Jello");
        assertThat(content(batch.segments()[1])).as("a copy: does not").isEqualTo(" there");
    }

    @Test
    void sideBySideFramesAndConsecutiveCopiesMergeIntoOneSegmentEach() throws IOException {
        fill("a\nb\nc\n");
        for (int at = 0; at < 6; at += 2) {
            frame.limit(at + 2).position(at);
            batch.gather(frame);
        }
        assertThat(batch.count()).isEqualTo(1);
        batch.gather(ascii("x"));
        batch.gather(ascii("y"));
        assertThat(batch.count()).isEqualTo(2);
        frame.limit(2).position(0); // not next to the last view: a segment of its own
        batch.gather(frame);
        assertThat(batch.count()).isEqualTo(3);
        Sink sink = new Sink();
        assertThat(batch.writeTo(sink)).isEqualTo(10);
        assertThat(sink.calls).containsExactly(3);
        assertThat(sink.taken.toString(StandardCharsets.US_ASCII)).isEqualTo("a\nb\nc\nxya\n");
    }

    @Test
    void whatTheChannelLeavesStaysInTheSegmentsInOrder() throws IOException {
        fill("0123456789");
        frame.limit(4).position(0);
        batch.gather(frame);
        batch.gather(ascii("abcd"));
        Sink sink = new Sink();
        sink.budget = 6;
        assertThat(batch.writeTo(sink)).isEqualTo(6);
        StringBuilder rest = new StringBuilder();
        for (int i = 0; i < batch.count(); i++) {
            rest.append(content(batch.segments()[i]));
        }
        assertThat(rest).hasToString("cd");
        batch.clear();
        assertThat(batch.isEmpty()).isTrue();
    }

    @Test
    void aFullBatchRefusesSoThatItIsSentFirst() {
        fill("0123456789");
        for (int i = 0; i < WriteBatch.MAX_SEGMENTS; i++) {
            ByteBuffer piece = i % 2 == 0 ? ascii("c") : frame.limit(i % 10 + 1).position(i % 10);
            assertThat(batch.gather(piece)).as("segment %d", i).isTrue();
        }
        assertThat(batch.gather(frame.limit(3).position(0))).as("no segment left").isFalse();
        batch.clear();
        assertThat(batch.gather(ByteBuffer.allocate(WriteBatch.SCRATCH_SIZE + 1))).as("larger than the room").isFalse();
        assertThat(batch.gather(ByteBuffer.allocate(WriteBatch.SCRATCH_SIZE))).isTrue();
        assertThat(batch.gather(ascii("x"))).as("room used up").isFalse();
        batch.clear();
        assertThat(batch.gather(ascii("x"))).as("cleared: room again").isTrue();
    }

    @Test
    void theViewFollowsANewReadBuffer() {
        ByteBuffer other = ByteBuffer.allocateDirect(16);
        ByteBuffer view = batch.frameView(other);
        assertThat(view).isNotSameAs(frame);
        assertThat(batch.frameView(other)).isSameAs(view);
        other.put(0, (byte) 'q');
        assertThat(view.get(0)).isEqualTo((byte) 'q');
    }
}
