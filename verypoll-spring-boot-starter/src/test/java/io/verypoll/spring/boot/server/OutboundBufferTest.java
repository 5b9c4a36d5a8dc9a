package io.verypoll.spring.boot.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The pending output of one connection on its own, written to fake channels. */
@Timeout(60)
class OutboundBufferTest {

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
    void constructorChecksTheLimits() {
        assertThatThrownBy(() -> new OutboundBuffer(10, 10, 100, FAILURES, new ServerCounters.Stripe())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("low < high");
        assertThatThrownBy(() -> new OutboundBuffer(11, 10, 100, FAILURES, new ServerCounters.Stripe())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new OutboundBuffer(1, 10, 9, FAILURES, new ServerCounters.Stripe())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("high <= cap");
        assertThatThrownBy(() -> new OutboundBuffer(-1, 10, 100, FAILURES, new ServerCounters.Stripe())).isInstanceOf(IllegalArgumentException.class);
        // The edges that are allowed.
        new OutboundBuffer(0, 1, 1, FAILURES, new ServerCounters.Stripe());
        new OutboundBuffer(9, 10, 10, FAILURES, new ServerCounters.Stripe());
    }

    @Test
    void aNewBufferIsEmptyAndFlushesNothingWithoutTouchingTheChannel() throws IOException {
        OutboundBuffer buffer = new OutboundBuffer(10, 20, 100, FAILURES, new ServerCounters.Stripe());
        LimitedChannel channel = new LimitedChannel(1000);
        assertThat(buffer.isEmpty()).isTrue();
        assertThat(buffer.bytes()).isZero();
        assertThat(buffer.isOverHigh()).isFalse();
        assertThat(buffer.isBelowHigh()).isTrue();
        assertThat(buffer.flushTo(channel)).isZero();
        assertThat(channel.writes).isZero();
    }

    @Test
    void appendTakesAllOfTheSourceAndFlushWritesItInOrder() throws IOException {
        OutboundBuffer buffer = new OutboundBuffer(100, 1_000, 10_000, FAILURES, new ServerCounters.Stripe());
        ByteBuffer src = bytes(500, 0);
        src.position(100).limit(300); // only this window is the caller's data
        buffer.append(src);
        assertThat(src.hasRemaining()).isFalse();
        assertThat(src.limit()).as("the source's limit is restored").isEqualTo(300);
        assertThat(buffer.bytes()).isEqualTo(200);
        assertThat(buffer.isEmpty()).isFalse();

        LimitedChannel channel = new LimitedChannel(Integer.MAX_VALUE);
        assertThat(buffer.flushTo(channel)).isEqualTo(200);
        assertThat(buffer.isEmpty()).isTrue();
        assertThat(channel.taken.toByteArray()).isEqualTo(Arrays.copyOfRange(bytes(500, 0).array(), 100, 300));
    }

    @Test
    void partialWritesStopAtTheFirstShortWriteAndKeepTheRest() throws IOException {
        OutboundBuffer buffer = new OutboundBuffer(100, 1_000, 100_000, FAILURES, new ServerCounters.Stripe());
        buffer.append(bytes(10_000, 7));
        LimitedChannel channel = new LimitedChannel(3_000);

        // A short write means the socket is full: flushing stops there.
        assertThat(buffer.flushTo(channel)).isEqualTo(3_000);
        assertThat(channel.writes).isEqualTo(1);
        assertThat(buffer.bytes()).isEqualTo(7_000);
        assertThat(buffer.flushTo(channel)).isEqualTo(3_000);
        assertThat(buffer.flushTo(channel)).isEqualTo(3_000);
        assertThat(buffer.bytes()).isEqualTo(1_000);
        assertThat(buffer.flushTo(channel)).isEqualTo(1_000);
        assertThat(buffer.isEmpty()).isTrue();
        assertThat(channel.taken.toByteArray()).isEqualTo(bytes(10_000, 7).array());
    }

    @Test
    void aChannelThatWouldBlockTakesNothingAndChangesNothing() throws IOException {
        OutboundBuffer buffer = new OutboundBuffer(10, 20, 100, FAILURES, new ServerCounters.Stripe());
        buffer.append(bytes(50, 0));
        assertThat(buffer.isOverHigh()).isTrue();
        LimitedChannel blocked = new LimitedChannel(0);

        assertThat(buffer.flushTo(blocked)).isZero();

        assertThat(buffer.bytes()).isEqualTo(50);
        assertThat(buffer.isOverHigh()).isTrue();
        assertThat(blocked.writes).isEqualTo(1);
        // Once the channel takes bytes again, all of them come out.
        blocked.maxPerWrite = Integer.MAX_VALUE;
        assertThat(buffer.flushTo(blocked)).isEqualTo(50);
        assertThat(blocked.taken.toByteArray()).isEqualTo(bytes(50, 0).array());
    }

    @Test
    void flushGoesOnAcrossChunksWhileTheChannelTakesWholeChunks() throws IOException {
        OutboundBuffer buffer = new OutboundBuffer(100, 1_000, 1_000_000, FAILURES, new ServerCounters.Stripe());
        // Larger than a chunk, so the data spans several chunks.
        buffer.append(bytes(200_000, 3));
        LimitedChannel channel = new LimitedChannel(Integer.MAX_VALUE);
        assertThat(buffer.flushTo(channel)).isEqualTo(200_000);
        assertThat(channel.writes).isGreaterThan(1);
        assertThat(channel.taken.toByteArray()).isEqualTo(bytes(200_000, 3).array());
    }

    @Test
    void watermarksHaveHysteresis() throws IOException {
        OutboundBuffer buffer = new OutboundBuffer(100, 200, 1_000, FAILURES, new ServerCounters.Stripe());
        LimitedChannel channel = new LimitedChannel(50);

        buffer.append(bytes(200, 0));
        assertThat(buffer.isOverHigh()).as("at the high watermark, not above").isFalse();
        assertThat(buffer.isBelowHigh()).isTrue();

        buffer.append(bytes(1, 0));
        assertThat(buffer.bytes()).isEqualTo(201);
        assertThat(buffer.isOverHigh()).as("above the high watermark").isTrue();
        assertThat(buffer.isBelowHigh()).isFalse();

        buffer.flushTo(channel); // 151
        assertThat(buffer.isBelowHigh()).isTrue();
        assertThat(buffer.isOverHigh()).as("below high but above low: still over").isTrue();
        buffer.flushTo(channel); // 101
        assertThat(buffer.bytes()).isEqualTo(101);
        assertThat(buffer.isOverHigh()).as("one byte above low").isTrue();
        channel.maxPerWrite = 1;
        buffer.flushTo(channel); // 100
        assertThat(buffer.bytes()).isEqualTo(100);
        assertThat(buffer.isOverHigh()).as("at the low watermark").isFalse();

        // Back up to the high watermark: not over yet, the flag is only set above it.
        buffer.append(bytes(100, 0));
        assertThat(buffer.bytes()).isEqualTo(200);
        assertThat(buffer.isOverHigh()).isFalse();
        buffer.append(bytes(1, 0));
        assertThat(buffer.isOverHigh()).isTrue();
    }

    @Test
    void drainingCompletelyClearsOverHigh() throws IOException {
        OutboundBuffer buffer = new OutboundBuffer(0, 10, 100, FAILURES, new ServerCounters.Stripe());
        buffer.append(bytes(50, 0));
        assertThat(buffer.isOverHigh()).isTrue();
        buffer.flushTo(new LimitedChannel(49));
        assertThat(buffer.isOverHigh()).as("a low watermark of 0 needs an empty buffer").isTrue();
        buffer.flushTo(new LimitedChannel(49));
        assertThat(buffer.isEmpty()).isTrue();
        assertThat(buffer.isOverHigh()).isFalse();
    }

    @Test
    void wouldExceedCapAtExactlyTheCapAndOneMore() {
        OutboundBuffer buffer = new OutboundBuffer(10, 100, 1_000, FAILURES, new ServerCounters.Stripe());
        assertThat(buffer.wouldExceedCap(1_000)).isFalse();
        assertThat(buffer.wouldExceedCap(1_001)).isTrue();

        buffer.append(bytes(400, 0));
        assertThat(buffer.wouldExceedCap(600)).isFalse();
        assertThat(buffer.wouldExceedCap(601)).isTrue();

        buffer.append(bytes(600, 0));
        assertThat(buffer.bytes()).isEqualTo(1_000);
        assertThat(buffer.wouldExceedCap(0)).isFalse();
        assertThat(buffer.wouldExceedCap(1)).isTrue();
        // Large requests do not overflow the check.
        assertThat(buffer.wouldExceedCap(Long.MAX_VALUE - 1_000)).isTrue();
    }

    @Test
    void anEmptiedBufferTakesNewBytesAgain() throws IOException {
        OutboundBuffer buffer = new OutboundBuffer(10, 100, 100_000, FAILURES, new ServerCounters.Stripe());
        LimitedChannel channel = new LimitedChannel(Integer.MAX_VALUE);
        for (int round = 0; round < 5; round++) {
            // Ends exactly on a chunk boundary in one round, in the middle of one in the others.
            int size = round == 2 ? 4 * 1024 : 1_000 + round * 3_000;
            buffer.append(bytes(size, round));
            assertThat(buffer.bytes()).isEqualTo(size);
            assertThat(buffer.flushTo(channel)).isEqualTo(size);
            assertThat(buffer.isEmpty()).isTrue();
            assertThat(buffer.flushTo(channel)).isZero();
        }
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (int round = 0; round < 5; round++) {
            int size = round == 2 ? 4 * 1024 : 1_000 + round * 3_000;
            expected.write(bytes(size, round).array());
        }
        assertThat(channel.taken.toByteArray()).isEqualTo(expected.toByteArray());
    }

    @Test
    void clearDropsEverythingAndReturnsTheCount() throws IOException {
        OutboundBuffer buffer = new OutboundBuffer(10, 100, 100_000, FAILURES, new ServerCounters.Stripe());
        assertThat(buffer.clear()).isZero();
        buffer.append(bytes(5_000, 0));
        buffer.flushTo(new LimitedChannel(1_234));
        assertThat(buffer.isOverHigh()).isTrue();

        assertThat(buffer.clear()).isEqualTo(5_000 - 1_234);

        assertThat(buffer.bytes()).isZero();
        assertThat(buffer.isEmpty()).isTrue();
        assertThat(buffer.isOverHigh()).isFalse();
        LimitedChannel after = new LimitedChannel(Integer.MAX_VALUE);
        assertThat(buffer.flushTo(after)).isZero();
        assertThat(after.taken.size()).isZero();
        // Usable again, and nothing of the dropped bytes comes back.
        buffer.append(bytes(3, 42));
        assertThat(buffer.flushTo(after)).isEqualTo(3);
        assertThat(after.taken.toByteArray()).isEqualTo(bytes(3, 42).array());
    }

    @Test
    void directSourcesAreCopiedToo() throws IOException {
        OutboundBuffer buffer = new OutboundBuffer(10, 100, 1_000_000, FAILURES, new ServerCounters.Stripe());
        ByteBuffer direct = ByteBuffer.allocateDirect(70_000);
        direct.put(bytes(70_000, 9)).flip();
        buffer.append(direct);
        // The source is the loop's shared read buffer in practice: reusing it must not change what is kept.
        direct.clear();
        direct.put(new byte[70_000]);
        LimitedChannel channel = new LimitedChannel(Integer.MAX_VALUE);
        buffer.flushTo(channel);
        assertThat(channel.taken.toByteArray()).isEqualTo(bytes(70_000, 9).array());
    }

    /**
     * Random appends (small ones that share a chunk, large ones that span several) and random partial
     * flushes, checked at every step against the expected stream, the byte count and a model of the
     * watermark flag.
     */
    @Test
    void randomAppendsAndPartialFlushesKeepEveryByteInOrder() throws IOException {
        Random random = new Random(12345);
        int low = 16 * 1024;
        int high = 64 * 1024;
        ServerCounters.Stripe counters = new ServerCounters.Stripe();
        OutboundBuffer buffer = new OutboundBuffer(low, high, Long.MAX_VALUE, FAILURES, counters);
        LimitedChannel channel = new LimitedChannel(0);
        ByteArrayOutputStream appended = new ByteArrayOutputStream();
        Random content = new Random(54321);
        boolean overHighModel = false;
        int ownedQueued = 0;
        int[] ownedReleased = new int[1];
        for (int step = 0; step < 10_000; step++) {
            int action = random.nextInt(6);
            if (action == 0) {
                // An owned buffer: queued as itself, released once all of it is written.
                int size = 1 + random.nextInt(random.nextBoolean() ? 300 : 400_000);
                byte[] data = new byte[size];
                content.nextBytes(data);
                appended.write(data);
                ByteBuffer owned = random.nextBoolean() ? ByteBuffer.wrap(data)
                        : ByteBuffer.allocateDirect(size).put(data).flip();
                ownedQueued++;
                buffer.appendOwned(owned, released -> {
                    assertThat(released).isSameAs(owned);
                    assertThat(released.hasRemaining()).isFalse();
                    ownedReleased[0]++;
                });
                if (buffer.bytes() > high) {
                    overHighModel = true;
                }
            } else if (action < 3) {
                int size = random.nextInt(10) == 0 ? random.nextInt(100_000) : random.nextInt(300);
                byte[] data = new byte[size];
                content.nextBytes(data);
                appended.write(data);
                // Sometimes a window of a larger buffer, as callers often pass.
                int offset = random.nextInt(4);
                byte[] framed = new byte[offset + size + random.nextInt(4)];
                System.arraycopy(data, 0, framed, offset, size);
                buffer.append(ByteBuffer.wrap(framed, offset, size));
                if (buffer.bytes() > high) {
                    overHighModel = true;
                }
            } else {
                channel.maxPerWrite = random.nextInt(5) == 0 ? 0 : random.nextInt(20_000);
                long before = buffer.bytes();
                int takenBefore = channel.taken.size();
                long written = buffer.flushTo(channel);
                assertThat(written).isEqualTo(channel.taken.size() - takenBefore);
                assertThat(buffer.bytes()).isEqualTo(before - written);
                if (buffer.bytes() <= low) {
                    overHighModel = false;
                }
            }
            assertThat(buffer.bytes()).as("step %d", step).isEqualTo(appended.size() - channel.taken.size());
            assertThat(buffer.isEmpty()).isEqualTo(buffer.bytes() == 0);
            assertThat(buffer.copiedBytes()).isLessThanOrEqualTo(buffer.bytes());
            assertThat(counters.pendingBytes).as("the server's counter in step").isEqualTo(buffer.bytes());
            assertThat(buffer.isOverHigh()).as("step %d", step).isEqualTo(overHighModel);
            assertThat(buffer.isBelowHigh()).isEqualTo(buffer.bytes() <= high);
        }
        channel.maxPerWrite = Integer.MAX_VALUE;
        buffer.flushTo(channel);
        assertThat(buffer.isEmpty()).isTrue();
        assertThat(buffer.copiedBytes()).isZero();
        assertThat(ownedQueued).isPositive();
        assertThat(ownedReleased[0]).isEqualTo(ownedQueued);
        byte[] expected = appended.toByteArray();
        byte[] actual = channel.taken.toByteArray();
        assertThat(actual.length).isEqualTo(expected.length);
        assertThat(Arrays.mismatch(actual, expected)).as("first differing byte").isEqualTo(-1);
    }

    @Test
    void heldWritesCountForTheWatermarksAndTheCapUntilLetGo() throws IOException {
        ServerCounters.Stripe counters = new ServerCounters.Stripe();
        OutboundBuffer buffer = new OutboundBuffer(10, 20, 40, FAILURES, counters);
        buffer.hold(15, true);
        buffer.hold(100, false); // owned bytes: watermarks only
        assertThat(buffer.isEmpty()).as("held, not queued: nothing for the socket").isTrue();
        assertThat(buffer.bytes()).isEqualTo(115);
        assertThat(counters.pendingBytes).isEqualTo(115);
        assertThat(buffer.copiedBytes()).isEqualTo(15);
        assertThat(buffer.isOverHigh()).isTrue();
        assertThat(buffer.isBelowHigh()).isFalse();
        assertThat(buffer.wouldExceedCap(25)).isFalse();
        assertThat(buffer.wouldExceedCap(26)).isTrue();

        buffer.unhold(100, false);
        buffer.append(bytes(12, 0)); // let go, but the socket did not take it: 15 held + 12 queued
        assertThat(buffer.relieve()).as("27 bytes: above low, still over high").isFalse();
        buffer.unhold(15, true);
        assertThat(buffer.relieve()).as("12 bytes: still above low").isFalse();
        buffer.flushTo(new LimitedChannel(1000));
        assertThat(buffer.isOverHigh()).isFalse();
        assertThat(buffer.bytes()).isZero();
        assertThat(counters.pendingBytes).isZero();

        buffer.holdBody();
        assertThat(buffer.isOverHigh()).as("a held body, like a queued one").isTrue();
        assertThat(buffer.isBelowHigh()).isFalse();
        buffer.unholdBody();
        assertThat(buffer.relieve()).isTrue();
        assertThat(buffer.isBelowHigh()).isTrue();
    }
}
