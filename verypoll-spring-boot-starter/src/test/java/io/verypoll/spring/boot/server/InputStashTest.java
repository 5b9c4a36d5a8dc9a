package io.verypoll.spring.boot.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The stash of one framed connection: sized to what it holds, counted against the server's cap, gone when empty. */
@Timeout(10)
class InputStashTest {

    private final AtomicLong total = new AtomicLong();

    private static ByteBuffer direct(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
    }

    private static String held(InputStash stash) {
        return StandardCharsets.US_ASCII.decode(stash.bytes()).toString();
    }

    @Test
    void holdsNothingUntilUsedAndLetsGoWhenConsumed() {
        InputStash stash = new InputStash(total, 1 << 20, 4096);
        assertThat(stash.isEmpty()).isTrue();
        assertThat(stash.capacity()).isZero();
        ByteBuffer data = direct("xxhello");
        assertThat(stash.append(data, 2, 7)).isTrue();
        assertThat(data.position()).as("the source is read, not moved").isZero();
        assertThat(held(stash)).isEqualTo("hello");
        assertThat(total.get()).isEqualTo(stash.capacity()).isPositive();
        stash.consume(2);
        assertThat(held(stash)).isEqualTo("llo");
        stash.consume(3);
        assertThat(stash.isEmpty()).isTrue();
        assertThat(stash.capacity()).isZero();
        assertThat(total.get()).isZero();
    }

    @Test
    void growsByDoublingUpToTheSoftMaximumAndThenOnlyAsFarAsNeeded() {
        InputStash stash = new InputStash(total, 1 << 20, 1000);
        byte[] chunk = new byte[300];
        ByteBuffer data = ByteBuffer.wrap(chunk);
        stash.append(data, 0, 300);
        assertThat(stash.capacity()).isEqualTo(300);
        stash.append(data, 0, 300);
        assertThat(stash.capacity()).isEqualTo(600);
        stash.append(data, 0, 300);
        assertThat(stash.capacity()).as("doubling stops at the soft maximum").isEqualTo(1000);
        stash.append(data, 0, 300);
        assertThat(stash.capacity()).as("past it, what is needed").isEqualTo(1200);
        assertThat(stash.size()).isEqualTo(1200);
        assertThat(total.get()).isEqualTo(1200);
    }

    @Test
    void slidesItsBytesDownInsteadOfGrowingWhenThereIsRoomInFront() {
        InputStash stash = new InputStash(total, 1 << 20, 4096);
        stash.append(direct("abcdefgh"), 0, 8);
        int capacity = stash.capacity();
        stash.consume(6);
        stash.append(direct("0123456789".repeat(30)), 0, capacity - 2);
        assertThat(stash.capacity()).isEqualTo(capacity);
        assertThat(held(stash)).startsWith("gh0123").hasSize(capacity);
    }

    @Test
    void refusesWhatWouldTakeTheServerOverItsCapAndKeepsWhatItHad() {
        InputStash first = new InputStash(total, 1000, 4096);
        InputStash second = new InputStash(total, 1000, 4096);
        byte[] bytes = new byte[600];
        assertThat(first.append(ByteBuffer.wrap(bytes), 0, 600)).isTrue();
        assertThat(second.append(ByteBuffer.wrap(bytes), 0, 300)).isTrue();
        assertThat(second.append(ByteBuffer.wrap(bytes), 0, 200)).as("900 + growth > 1000").isFalse();
        assertThat(second.size()).isEqualTo(300);
        assertThat(total.get()).isEqualTo(900);
        first.release();
        assertThat(second.append(ByteBuffer.wrap(bytes), 0, 200)).isTrue();
        second.release();
        assertThat(total.get()).isZero();
    }

    @Test
    void makesRoomForAnAnnouncedLengthOnceAndFillsIt() {
        int frame = (1 << 20) + 40;
        InputStash stash = new InputStash(total, 64 << 20, frame + 1);
        byte[] chunk = new byte[64 * 1024];
        int held = 0;
        while (held < frame) {
            int n = Math.min(chunk.length, frame - held);
            assertThat(stash.append(ByteBuffer.wrap(chunk), 0, n, frame)).isTrue();
            held += n;
        }
        assertThat(stash.arraysMade()).as("one array for the whole frame, never regrown").isEqualTo(1);
        assertThat(stash.size()).isEqualTo(frame);
        assertThat(stash.capacity()).as("the frame and a little headroom").isBetween(frame, frame + 4096);
        assertThat(total.get()).isEqualTo(stash.capacity());
    }

    @Test
    void withoutAnAnnouncementTheSameFrameRegrowsByDoubling() {
        int frame = (1 << 20) + 40;
        InputStash stash = new InputStash(total, 64 << 20, frame + 1);
        byte[] chunk = new byte[64 * 1024];
        for (int held = 0; held < frame; held += chunk.length) {
            assertThat(stash.append(ByteBuffer.wrap(chunk), 0, Math.min(chunk.length, frame - held))).isTrue();
        }
        assertThat(stash.arraysMade()).as("64 KiB, 128, 256, 512 KiB, 1 MiB, and past it").isEqualTo(6);
    }

    @Test
    void lengthsAnnouncedBitByBitStillGrowByDoubling() {
        InputStash stash = new InputStash(total, 64 << 20, 8 << 20);
        byte[] chunk = new byte[10_000];
        int held = 0;
        for (int i = 0; i < 400; i++) { // each step announces 10 000 bytes more than it has: 4 MB in all
            assertThat(stash.append(ByteBuffer.wrap(chunk), 0, chunk.length, held + 2L * chunk.length)).isTrue();
            held += chunk.length;
        }
        assertThat(stash.arraysMade()).as("O(log) regrowths, not one per announcement").isLessThan(20);
    }

    @Test
    void anAnnouncedLengthOverTheServerCapIsRefusedBeforeAnyArrayIsMade() {
        InputStash stash = new InputStash(total, 1 << 20, 8 << 20);
        assertThat(stash.append(direct("*3\r\n$3\r\nSET\r\n"), 0, 13, 2_000_000)).isFalse();
        assertThat(stash.arraysMade()).isZero();
        assertThat(stash.capacity()).isZero();
        assertThat(total.get()).isZero();
        assertThat(stash.append(direct("*3\r\n$3\r\nSET\r\n"), 0, 13, 900_000)).as("within the cap").isTrue();
        assertThat(total.get()).isEqualTo(stash.capacity()).isGreaterThanOrEqualTo(900_000);
    }

    @Test
    void detachingHandsTheArrayOverAndTheStashStartsAfresh() {
        InputStash stash = new InputStash(total, 1 << 20, 4096);
        stash.append(direct("xxhello"), 2, 7, 5);
        ByteBuffer taken = stash.detach();
        byte[] array = taken.array();
        assertThat(StandardCharsets.US_ASCII.decode(taken.duplicate()).toString()).isEqualTo("hello");
        assertThat(stash.isEmpty()).isTrue();
        assertThat(stash.capacity()).isZero();
        assertThat(total.get()).as("the application holds the array now, not the server").isZero();
        stash.append(direct("world"), 0, 5);
        assertThat(held(stash)).isEqualTo("world");
        assertThat(stash.bytes().array()).isNotSameAs(array);
        assertThat(new String(array, taken.position(), 5, StandardCharsets.US_ASCII)).as("never written again").isEqualTo("hello");
        assertThat(total.get()).isEqualTo(stash.capacity());
        stash.release();
        assertThat(total.get()).isZero();
    }
}
