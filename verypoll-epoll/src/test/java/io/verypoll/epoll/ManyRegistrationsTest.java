package io.verypoll.epoll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.verypoll.Event;
import io.verypoll.Events;
import io.verypoll.Interest;
import io.verypoll.Poll;
import io.verypoll.TestUtil;
import io.verypoll.Token;
import io.verypoll.pipe.Pipe;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * 10,000 registrations on one Poll (5,000 pipes, both ends): every writable end reported exactly
 * once, the readable ends exactly those written to, every token routed right; then all deregistered
 * and registered again under new tokens (the slots are reused), and every descriptor back at the end.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ManyRegistrationsTest {
    private static final int PIPES = 5_000;

    @Test
    void tenThousandRegistrations() throws Exception {
        assumeTrue(openFileLimit() > 2 * PIPES + 1_000, "the open-file limit is below 11,000 here");
        int baseline = TestUtil.baselineFds();
        Pipe[] pipes = new Pipe[PIPES];
        try (Poll poll = Poll.open()) {
            for (int i = 0; i < PIPES; i++) {
                pipes[i] = Pipe.open();
                poll.registry().register(pipes[i].receiver(), new Token(2L * i), Interest.READABLE);
                poll.registry().register(pipes[i].sender(), new Token(2L * i + 1), Interest.WRITABLE);
            }
            Events events = Events.withCapacity(1024);
            BitSet writable = collect(poll, events, PIPES);
            assertThat(writable.cardinality()).isEqualTo(PIPES);
            for (int i = 0; i < PIPES; i++) {
                assertThat(writable.get(2 * i + 1)).as("sender %d", i).isTrue();
            }
            // Data into every 7th pipe: exactly those receivers, nothing else.
            int written = 0;
            for (int i = 0; i < PIPES; i += 7) {
                pipes[i].sender().write(ByteBuffer.wrap(new byte[] {(byte) i}));
                written++;
            }
            BitSet readable = collect(poll, events, written);
            assertThat(readable.cardinality()).isEqualTo(written);
            for (int t = readable.nextSetBit(0); t >= 0; t = readable.nextSetBit(t + 1)) {
                assertThat(t % 2).as("token %d is a receiver's", t).isZero();
                int i = t / 2;
                assertThat(i % 7).isZero();
                ByteBuffer one = ByteBuffer.allocate(2);
                assertThat(pipes[i].receiver().read(one)).isEqualTo(1);
                assertThat(one.get(0)).isEqualTo((byte) i);
            }
            TestUtil.expectNoEvents(poll, events);

            // All gone, then all back under new tokens: the slots are taken again.
            for (Pipe p : pipes) {
                poll.registry().deregister(p.receiver());
                poll.registry().deregister(p.sender());
            }
            TestUtil.expectNoEvents(poll, events);
            for (int i = 0; i < PIPES; i++) {
                poll.registry().register(pipes[i].sender(), new Token(1_000_000L + i), Interest.WRITABLE);
            }
            BitSet again = collect(poll, events, PIPES);
            assertThat(again.nextSetBit(0)).isEqualTo(1_000_000);
            assertThat(again.cardinality()).isEqualTo(PIPES);
        } finally {
            for (Pipe p : pipes) {
                if (p != null) {
                    p.sender().close();
                    p.receiver().close();
                }
            }
        }
        TestUtil.assertFdCount(baseline);
    }

    /** Polls (bounded) until {@code n} events came; a token seen twice fails. */
    private static BitSet collect(Poll poll, Events events, int n) throws IOException {
        BitSet seen = new BitSet();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        int count = 0;
        while (count < n && System.nanoTime() < deadline) {
            poll.poll(events, Duration.ofMillis(500));
            for (Event e : events) {
                int t = (int) e.token().value();
                assertThat(seen.get(t)).as("token %d reported twice", t).isFalse();
                seen.set(t);
                count++;
            }
        }
        assertThat(count).as("events").isEqualTo(n);
        return seen;
    }

    private static long openFileLimit() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                return Long.parseLong(line.substring(26).trim().split("\\s+")[0]);
            }
        }
        return 0;
    }
}
