package io.verypoll;

import static io.verypoll.TestUtil.expectEvents;
import static io.verypoll.TestUtil.expectNoEvents;
import static io.verypoll.TestUtil.expected;
import static org.assertj.core.api.Assertions.assertThat;

import io.verypoll.TestUtil.Bg;
import io.verypoll.pipe.Pipe;
import io.verypoll.pipe.Receiver;
import io.verypoll.pipe.Sender;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * More ready sources than {@link Events#capacity()}: what does not fit in one poll comes in a
 * later one, rotating, so no source and no {@link Waker} starves (the JDK reports ready keys in
 * a stable order, so dropping the overflow would starve the same sources every time).
 *
 * <p>The sources are pipes holding unread data, re-armed after each event with {@code
 * reregister}: every one of them is ready at every poll.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FairnessTest {
    private static final int SOURCES = 8;
    private static final int POLLS = 2_000;
    private static final Token WAKER = new Token(100);
    /** Waker events to see at least; the polls go on (bounded) until then. */
    private static final int MIN_WAKER_EVENTS = 20;

    /** Busy pipes: registered READABLE with one unread byte each, never drained. */
    private static final class BusySources implements AutoCloseable {
        final Sender[] senders = new Sender[SOURCES];
        final Receiver[] receivers = new Receiver[SOURCES];

        BusySources(Poll poll) throws Exception {
            for (int i = 0; i < SOURCES; i++) {
                Pipe pipe = Pipe.open();
                senders[i] = pipe.sender();
                receivers[i] = pipe.receiver();
                senders[i].write(ByteBuffer.allocate(1));
                poll.registry().register(receivers[i], new Token(i), Interest.READABLE);
            }
        }

        /** Re-arms the source behind an event, so it is ready again at the next poll. */
        void rearm(Poll poll, Event event) throws Exception {
            int i = (int) event.token().value();
            poll.registry().reregister(receivers[i], event.token(), Interest.READABLE);
        }

        @Override
        public void close() throws Exception {
            for (int i = 0; i < SOURCES; i++) {
                if (senders[i] != null) senders[i].close();
                if (receivers[i] != null) receivers[i].close();
            }
        }
    }

    @Test
    void everyBusySourceGetsItsShareBeyondCapacity() throws Exception {
        int capacity = 4;
        try (Poll poll = Poll.open(); BusySources sources = new BusySources(poll)) {
            Events events = Events.withCapacity(capacity);
            long[] perSource = new long[SOURCES];
            for (int p = 0; p < POLLS; p++) {
                poll.poll(events, Duration.ofSeconds(2));
                assertThat(events.size()).as("poll %d: every source is ready", p).isEqualTo(capacity);
                for (Event e : events) {
                    perSource[(int) e.token().value()]++;
                    sources.rearm(poll, e);
                }
            }
            System.out.println("FairnessTest: events per source, capacity " + capacity + ": " + Arrays.toString(perSource));
            long ideal = (long) POLLS * capacity / SOURCES;
            for (int i = 0; i < SOURCES; i++) {
                assertThat(perSource[i]).as("events of source %d (ideal %d): %s", i, ideal, Arrays.toString(perSource))
                        .isGreaterThanOrEqualTo(ideal / 5);
            }
        }
    }

    @Test
    void wakerIsNotStarvedByBusySourcesCapacity4() throws Exception {
        wakerIsNotStarved(4);
    }

    @Test
    void wakerIsNotStarvedByBusySourcesCapacity8() throws Exception {
        wakerIsNotStarved(8);
    }

    /**
     * Another thread raises the Waker again as soon as its event was seen: it is raised nearly all
     * the time. FIFO delivery bounds how many polls a raised Waker waits: the entries ahead of it
     * (at most every source) take ceil((SOURCES + 1) / capacity) polls. A wait is counted from the
     * first poll that starts after the raise is known done, so a raiser descheduled between its
     * raise and its report cannot inflate it. The bound asserted is twice the FIFO bound plus 2.
     */
    private static void wakerIsNotStarved(int capacity) throws Exception {
        try (Poll poll = Poll.open(); BusySources sources = new BusySources(poll)) {
            Waker waker = new Waker(poll.registry(), WAKER);
            Events events = Events.withCapacity(capacity);
            AtomicLong raises = new AtomicLong();
            Semaphore seen = new Semaphore(1);
            AtomicBoolean done = new AtomicBoolean();
            Bg raiser = Bg.start("raiser", () -> {
                while (!done.get()) {
                    // One raise per event seen: raise k + 1 starts only after event k.
                    if (seen.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                        waker.wake();
                        raises.incrementAndGet();
                    }
                }
            });
            long maxWait = 2L * ((SOURCES + 1 + capacity - 1) / capacity) + 2;
            long wakerEvents = 0;
            long waitingSince = -1;
            long worstWait = 0;
            long[] perSource = new long[SOURCES];
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            int p = 0;
            try {
                // The raiser's pace is the scheduler's: poll on until it had enough turns.
                while ((p < POLLS || wakerEvents < MIN_WAKER_EVENTS) && System.nanoTime() < deadline) {
                    p++;
                    if (waitingSince < 0 && raises.get() > wakerEvents) {
                        waitingSince = p;
                    }
                    poll.poll(events, Duration.ofSeconds(2));
                    for (Event e : events) {
                        if (e.token().equals(WAKER)) {
                            wakerEvents++;
                            if (waitingSince >= 0) {
                                worstWait = Math.max(worstWait, p - waitingSince + 1);
                                waitingSince = -1;
                            }
                            seen.release();
                        } else {
                            perSource[(int) e.token().value()]++;
                            sources.rearm(poll, e);
                        }
                    }
                }
            } finally {
                done.set(true);
                raiser.join();
            }
            System.out.printf("FairnessTest: capacity %d, %d polls: %d waker events, worst wait %d polls; per source %s%n",
                    capacity, p, wakerEvents, worstWait, Arrays.toString(perSource));
            assertThat(wakerEvents).as("waker events in %d polls", p).isGreaterThanOrEqualTo(MIN_WAKER_EVENTS);
            assertThat(worstWait).as("polls a raised waker waited").isLessThanOrEqualTo(maxWait);
            for (long n : perSource) {
                assertThat(n).as("per source: %s", Arrays.toString(perSource)).isGreaterThan(0);
            }
        }
    }

    /** A ready source that did not fit, deregistered before the next poll: never delivered. */
    @Test
    void deferredSourceDeregisteredIsNotDelivered() throws Exception {
        try (Poll poll = Poll.open(); BusySources sources = new BusySources(poll)) {
            Events events = Events.withCapacity(1);
            poll.poll(events, Duration.ofSeconds(2));
            assertThat(events.size()).isEqualTo(1);
            int first = (int) events.get(0).token().value();
            // Every other source was ready and is owed an event; take them all away.
            for (int i = 0; i < SOURCES; i++) {
                if (i != first) {
                    poll.registry().deregister(sources.receivers[i]);
                }
            }
            expectNoEvents(poll, events);
            // Registered again, with new tokens: the events carry the new tokens only.
            TestUtil.ExpectedEvent[] fresh = new TestUtil.ExpectedEvent[SOURCES - 1];
            for (int i = 0, k = 0; i < SOURCES; i++) {
                if (i != first) {
                    poll.registry().register(sources.receivers[i], new Token(200 + i), Interest.READABLE);
                    fresh[k++] = expected(new Token(200 + i), TestUtil.READABLE);
                }
            }
            var seen = expectEvents(poll, events, fresh);
            assertThat(seen).extracting(s -> s.token().value()).allMatch(t -> t >= 200);
        }
    }

    /** A ready source that did not fit, closed before the next poll: never delivered. */
    @Test
    void deferredSourceClosedIsNotDelivered() throws Exception {
        try (Poll poll = Poll.open(); BusySources sources = new BusySources(poll)) {
            Events events = Events.withCapacity(1);
            poll.poll(events, Duration.ofSeconds(2));
            assertThat(events.size()).isEqualTo(1);
            int first = (int) events.get(0).token().value();
            for (int i = 0; i < SOURCES; i++) {
                if (i != first) {
                    sources.receivers[i].close();
                }
            }
            expectNoEvents(poll, events);
        }
    }

    /**
     * A ready source that did not fit, moved to another Poll before the next poll: the first Poll
     * does not deliver it, the second one does, with its token.
     */
    @Test
    void deferredSourceMovedToAnotherPollIsDeliveredThereOnly() throws Exception {
        try (Poll poll = Poll.open(); Poll other = Poll.open(); BusySources sources = new BusySources(poll)) {
            Events events = Events.withCapacity(1);
            poll.poll(events, Duration.ofSeconds(2));
            assertThat(events.size()).isEqualTo(1);
            int first = (int) events.get(0).token().value();
            int moved = (first + 1) % SOURCES;
            poll.registry().deregister(sources.receivers[moved]);
            other.registry().register(sources.receivers[moved], new Token(300), Interest.READABLE);
            // The rest of the first Poll's sources come one per poll; the moved one never does.
            for (int p = 0; p < SOURCES; p++) {
                poll.poll(events, Duration.ofMillis(100));
                for (Event e : events) {
                    assertThat(e.token().value()).as("token of the moved source").isNotEqualTo(moved);
                }
            }
            expectEvents(other, Events.withCapacity(4), expected(new Token(300), TestUtil.READABLE));
        }
    }
}
