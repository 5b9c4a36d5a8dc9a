package io.verypoll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.verypoll.pipe.Pipe;
import io.verypoll.pipe.Receiver;
import io.verypoll.pipe.Sender;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Contract 7: poll with a reused Events allocates nothing per call in steady state. Measured with
 * com.sun.management.ThreadMXBean#getThreadAllocatedBytes around each poll call only, with ready
 * sources that are re-armed (read to would-block) between polls. Surefire runs with
 * -XX:AutoBoxCacheMax=65536 so the JDK's own boxing of fds >= 128 in select(Consumer) is not
 * counted.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AllocationTest {

    private static final int SOURCES = 8;
    private static final int WARMUP_POLLS = 20_000;
    private static final int MEASURED_POLLS = 10_000;
    /** The contract is zero; this bound catches any per-poll object (an iterator is 16+ bytes). */
    private static final double MAX_BYTES_PER_POLL = 1.0;

    @Test
    void pollAllocatesNothingInSteadyState() throws Exception {
        Measured m = measure(64, WITH_DURATION);
        // The loop really polled ready sources.
        assertThat(m.emptyPolls).isZero();
        assertThat(m.eventsSeen).isGreaterThanOrEqualTo((long) MEASURED_POLLS * SOURCES);
        assertThat(m.perPoll()).as("bytes allocated per poll").isLessThanOrEqualTo(MAX_BYTES_PER_POLL);
    }

    /** More ready sources than capacity: the overflow waits in the deferred queue, allocation-free too. */
    @Test
    void pollBeyondCapacityAllocatesNothing() throws Exception {
        int capacity = 3;
        Measured m = measure(capacity, WITH_DURATION);
        // Every poll was full, so the deferred queue was in use at every poll.
        assertThat(m.eventsSeen).isEqualTo((long) MEASURED_POLLS * capacity);
        assertThat(m.perPoll()).as("bytes allocated per poll").isLessThanOrEqualTo(MAX_BYTES_PER_POLL);
    }

    /** The TimeUnit form allocates nothing either (no Duration, no boxing of the timeout). */
    @Test
    void pollWithTimeUnitAllocatesNothing() throws Exception {
        Measured m = measure(64, WITH_TIME_UNIT);
        assertThat(m.emptyPolls).isZero();
        assertThat(m.eventsSeen).isGreaterThanOrEqualTo((long) MEASURED_POLLS * SOURCES);
        assertThat(m.perPoll()).as("bytes allocated per poll").isLessThanOrEqualTo(MAX_BYTES_PER_POLL);
    }

    /** One poll call, the only thing measured. */
    @FunctionalInterface
    private interface PollCall {
        void poll(Poll poll, Events events) throws Exception;
    }

    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    private static final PollCall WITH_DURATION = (poll, events) -> poll.poll(events, TIMEOUT);
    private static final PollCall WITH_TIME_UNIT = (poll, events) -> poll.poll(events, 1, TimeUnit.SECONDS);

    private record Measured(long allocated, long eventsSeen, long emptyPolls) {
        double perPoll() {
            return (double) allocated / MEASURED_POLLS;
        }
    }

    private static Measured measure(int capacity, PollCall call) throws Exception {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeThat(mx.isThreadAllocatedMemorySupported()).isTrue();
        mx.setThreadAllocatedMemoryEnabled(true);
        long self = Thread.currentThread().getId();

        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(capacity);
            Sender[] senders = new Sender[SOURCES];
            Receiver[] receivers = new Receiver[SOURCES];
            Waker waker = new Waker(poll.registry(), new Token(1000));
            try {
                for (int i = 0; i < SOURCES; i++) {
                    Pipe p = Pipe.open();
                    senders[i] = p.sender();
                    receivers[i] = p.receiver();
                    poll.registry().register(receivers[i], new Token(i), Interest.READABLE);
                }
                ByteBuffer one = ByteBuffer.allocateDirect(1);
                ByteBuffer drain = ByteBuffer.allocateDirect(256);

                // Calibrate: the probe itself must cost nothing, or the numbers mean nothing.
                long c0 = mx.getThreadAllocatedBytes(self);
                long c1 = mx.getThreadAllocatedBytes(self);
                long probeCost = c1 - c0;

                long allocated = 0;
                long eventsSeen = 0;
                long emptyPolls = 0;
                for (int iter = 0; iter < WARMUP_POLLS + MEASURED_POLLS; iter++) {
                    // Make every source ready, and wake the waker too (outside the measurement).
                    for (int i = 0; i < SOURCES; i++) {
                        one.clear();
                        senders[i].write(one);
                    }
                    if ((iter & 1) == 0) waker.wake();

                    long before = mx.getThreadAllocatedBytes(self);
                    call.poll(poll, events);
                    long after = mx.getThreadAllocatedBytes(self);

                    int n = events.size();
                    // Re-arm: read each ready receiver until it would block.
                    for (int k = 0; k < n; k++) {
                        Event e = events.get(k);
                        long t = e.token().value();
                        if (t < SOURCES) {
                            drain.clear();
                            while (receivers[(int) t].read(drain) > 0) {
                                drain.clear();
                            }
                        }
                    }
                    if (iter >= WARMUP_POLLS) {
                        allocated += after - before - probeCost;
                        eventsSeen += n;
                        if (n == 0) emptyPolls++;
                    }
                }
                Measured m = new Measured(allocated, eventsSeen, emptyPolls);
                System.out.printf("AllocationTest (capacity %d): %d polls, %d events, %d bytes allocated in poll:"
                        + " %.3f bytes/poll (probe cost %d)%n", capacity, MEASURED_POLLS, eventsSeen, allocated,
                        m.perPoll(), probeCost);
                return m;
            } finally {
                for (int i = 0; i < SOURCES; i++) {
                    if (senders[i] != null) senders[i].close();
                    if (receivers[i] != null) receivers[i].close();
                }
            }
        }
    }
}
