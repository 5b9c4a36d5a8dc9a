package io.verypoll.spring.boot.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The entries of a connection's pending output besides copies, on their own: owned buffers (queued as
 * themselves, released once) and streamed bodies (pulled at the head as the channel takes them), and
 * what the application's callbacks may do in the middle of a flush.
 */
@Timeout(60)
class OutboundBufferEntriesTest {

    /** No callback of these tests may fail. */
    private static final OutboundBuffer.Failures FAILURES = error -> {
        throw new AssertionError("a callback failed", error);
    };

    private static ByteBuffer bytes(int count, int first) {
        byte[] bytes = new byte[count];
        for (int i = 0; i < count; i++) {
            bytes[i] = (byte) (first + i);
        }
        return ByteBuffer.wrap(bytes);
    }

    @Test
    void anOwnedBufferIsQueuedAsItselfAndReleasedOnceWhenAllOfItIsWritten() throws IOException {
        OutboundBuffer buffer = new OutboundBuffer(10, 100, 1_000, FAILURES, new ServerCounters.Stripe());
        buffer.append(bytes(50, 0));
        ByteBuffer owned = bytes(5_000, 50); // larger than the cap: owned bytes are not copies
        List<ByteBuffer> released = new ArrayList<>();
        buffer.appendOwned(owned, released::add);
        buffer.append(bytes(20, 7)); // after the owned buffer: a new chunk, not appended into it

        assertThat(buffer.bytes()).isEqualTo(5_070);
        assertThat(buffer.copiedBytes()).isEqualTo(70);
        assertThat(buffer.wouldExceedCap(930)).isFalse();
        assertThat(buffer.isOverHigh()).isTrue();

        LimitedChannel channel = new LimitedChannel(3_000);
        buffer.flushTo(channel); // 50 copied, then 3,000 of the owned buffer (one call's worth), then full
        assertThat(released).isEmpty();
        assertThat(owned.position()).as("written from the buffer itself").isEqualTo(3_000);
        buffer.flushTo(channel); // the owned rest, then 20 copied
        assertThat(released).containsExactly(owned);
        assertThat(buffer.isEmpty()).isTrue();
        assertThat(buffer.isOverHigh()).isFalse();

        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.write(bytes(50, 0).array());
        expected.write(bytes(5_000, 50).array());
        expected.write(bytes(20, 7).array());
        assertThat(channel.taken.toByteArray()).isEqualTo(expected.toByteArray());
    }

    @Test
    void clearReleasesOwnedBuffersAndAFailingReleaseGoesToTheFailures() {
        List<Throwable> failures = new ArrayList<>();
        OutboundBuffer buffer = new OutboundBuffer(10, 100, 1_000, failures::add, new ServerCounters.Stripe());
        List<ByteBuffer> released = new ArrayList<>();
        ByteBuffer first = bytes(10, 0);
        ByteBuffer second = bytes(10, 0);
        buffer.appendOwned(first, released::add);
        buffer.appendOwned(bytes(10, 0), b -> {
            throw new IllegalStateException("a release bug");
        });
        buffer.appendOwned(second, released::add);
        buffer.appendOwned(bytes(10, 0), null); // nothing to call

        assertThat(buffer.clear()).isEqualTo(40);
        assertThat(released).containsExactly(first, second);
        assertThat(failures).singleElement().isInstanceOf(IllegalStateException.class);
        assertThat(buffer.isEmpty()).isTrue();
    }

    @Test
    void aHeapBufferIsOfferedInSlicesADirectOneWhole() throws IOException {
        LimitedChannel channel = new LimitedChannel(Integer.MAX_VALUE);
        ByteBuffer heap = ByteBuffer.allocate(OutboundBuffer.HEAP_WRITE_SLICE * 3 + 5);
        assertThat(OutboundBuffer.writeOut(channel, heap)).isEqualTo(heap.capacity());
        assertThat(channel.writes).isEqualTo(4);
        assertThat(heap.limit()).as("the limit is put back").isEqualTo(heap.capacity());

        LimitedChannel direct = new LimitedChannel(Integer.MAX_VALUE);
        ByteBuffer buffer = ByteBuffer.allocateDirect(OutboundBuffer.HEAP_WRITE_SLICE * 3 + 5);
        assertThat(OutboundBuffer.writeOut(direct, buffer)).isEqualTo(buffer.capacity());
        assertThat(direct.writes).isEqualTo(1);

        // A channel that takes less than a slice is full: no second call.
        LimitedChannel slow = new LimitedChannel(1_000);
        assertThat(OutboundBuffer.writeOut(slow, ByteBuffer.allocate(OutboundBuffer.HEAP_WRITE_SLICE * 2))).isEqualTo(1_000);
        assertThat(slow.writes).isEqualTo(1);
    }

    /** A body that hands out {@code chunks} chunks of {@code size} bytes from one reused buffer, counting calls. */
    private static final class CountingBody implements BodySource {
        final ByteBuffer reused;
        final int chunks;
        int pulls;
        int closes;

        CountingBody(int chunks, int size) {
            this.chunks = chunks;
            this.reused = ByteBuffer.allocate(size).flip(); // empty until the first chunk
        }

        @Override
        public ByteBuffer next() {
            assertThat(reused.hasRemaining()).as("asked again before the last chunk was taken").isFalse();
            if (pulls == chunks) {
                pulls++;
                return null;
            }
            reused.clear();
            reused.put(bytes(reused.capacity(), pulls++)).flip();
            return reused;
        }

        @Override
        public void close() {
            closes++;
        }
    }

    @Test
    void aBodyIsPulledAtTheHeadAsTheSocketTakesItAndHoldsTheBufferOverHighUntilItEnds() throws IOException {
        ServerCounters.Stripe counters = new ServerCounters.Stripe();
        OutboundBuffer buffer = new OutboundBuffer(10, 100, 1_000, FAILURES, counters);
        buffer.append(bytes(30, 0));
        CountingBody body = new CountingBody(3, 500);
        buffer.appendBody(body);
        buffer.append(bytes(20, 9)); // behind the body

        assertThat(body.pulls).as("not pulled while behind other bytes").isZero();
        assertThat(buffer.isOverHigh()).isTrue();
        assertThat(buffer.isBelowHigh()).as("a body in progress: slow down").isFalse();
        assertThat(buffer.bytes()).isEqualTo(50);

        LimitedChannel channel = new LimitedChannel(0);
        buffer.flushTo(channel);
        assertThat(body.pulls).as("nothing sent: nothing pulled").isZero();
        channel.maxPerWrite = 200;
        buffer.flushTo(channel); // 30, then the first chunk's 200 of 500
        assertThat(body.pulls).isEqualTo(1);
        assertThat(buffer.bytes()).as("the chunk's rest and the bytes behind").isEqualTo(300 + 20);
        assertThat(counters.pendingBytes).isEqualTo(buffer.bytes());
        channel.maxPerWrite = Integer.MAX_VALUE;
        buffer.flushTo(channel);
        assertThat(body.pulls).isEqualTo(4);
        assertThat(body.closes).isOne();
        assertThat(buffer.isEmpty()).isTrue();
        assertThat(buffer.isOverHigh()).isFalse();
        assertThat(counters.pendingBytes).isZero();

        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.write(bytes(30, 0).array());
        for (int i = 0; i < 3; i++) {
            expected.write(bytes(500, i).array());
        }
        expected.write(bytes(20, 9).array());
        assertThat(channel.taken.toByteArray()).isEqualTo(expected.toByteArray());
    }

    @Test
    void aFlushYieldsAtItsBudgetAndEmptyChunksCannotSpinIt() throws IOException {
        OutboundBuffer buffer = new OutboundBuffer(10, 100, 1_000, FAILURES, new ServerCounters.Stripe());
        CountingBody body = new CountingBody(1_000, 64 * 1024); // 64 MB, far more than one budget
        buffer.appendBody(body);
        LimitedChannel channel = new LimitedChannel(Integer.MAX_VALUE);
        long written = buffer.flushTo(channel);
        assertThat(written).isGreaterThanOrEqualTo(OutboundBuffer.FLUSH_BUDGET).isLessThan(OutboundBuffer.FLUSH_BUDGET + 64 * 1024);
        assertThat(buffer.yielded()).isTrue();
        assertThat(buffer.flushTo(channel)).isPositive();

        OutboundBuffer idle = new OutboundBuffer(10, 100, 1_000, FAILURES, new ServerCounters.Stripe());
        int[] pulls = new int[1];
        idle.appendBody(() -> {
            pulls[0]++;
            return ByteBuffer.allocate(0);
        });
        assertThat(idle.flushTo(channel)).isZero();
        assertThat(idle.yielded()).isTrue();
        assertThat(pulls[0]).isBetween(1, 1_000);
    }

    @Test
    void aBodyThatThrowsFailsTheFlushAndIsClosedOnceByClear() {
        List<Throwable> failures = new ArrayList<>();
        OutboundBuffer buffer = new OutboundBuffer(10, 100, 1_000, failures::add, new ServerCounters.Stripe());
        int[] closes = new int[1];
        buffer.appendBody(new BodySource() {
            @Override
            public ByteBuffer next() {
                throw new IllegalStateException("a producer bug");
            }

            @Override
            public void close() {
                closes[0]++;
            }
        });
        assertThatThrownBy(() -> buffer.flushTo(new LimitedChannel(100))).isInstanceOf(OutboundBuffer.BodyFailure.class)
                .hasCauseInstanceOf(IllegalStateException.class);
        assertThat(closes[0]).isZero();
        buffer.clear();
        assertThat(closes[0]).isOne();
        assertThat(failures).isEmpty();
    }

    @Test
    void aCallbackThatClearsTheBufferMidFlushStopsTheFlush() throws IOException {
        OutboundBuffer[] self = new OutboundBuffer[1];
        OutboundBuffer buffer = new OutboundBuffer(10, 100, 1_000, FAILURES, new ServerCounters.Stripe());
        self[0] = buffer;
        List<ByteBuffer> released = new ArrayList<>();
        buffer.appendOwned(bytes(10, 0), b -> self[0].clear()); // as a release that closes its connection would
        ByteBuffer second = bytes(10, 0);
        buffer.appendOwned(second, released::add);
        LimitedChannel channel = new LimitedChannel(Integer.MAX_VALUE);
        assertThat(buffer.flushTo(channel)).isEqualTo(10);
        assertThat(released).as("dropped by the clear, not sent").containsExactly(second);
        assertThat(second.remaining()).isEqualTo(10);
        assertThat(buffer.isEmpty()).isTrue();
        assertThat(buffer.bytes()).isZero();
    }
}
