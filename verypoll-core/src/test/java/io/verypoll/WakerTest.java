package io.verypoll;

import static io.verypoll.TestUtil.awaitInPoll;
import static io.verypoll.TestUtil.expectNoEvents;
import static io.verypoll.TestUtil.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import io.verypoll.TestUtil.Bg;
import io.verypoll.TestUtil.Snapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** mio's waker.rs, plus several Wakers per Poll and a 16-thread wake storm. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class WakerTest {

    private static final Token TOKEN = new Token(10);

    /** One poll (bounded): exactly one event, the waker's, readable. */
    private static void expectWakerEvent(Poll poll, Events events, Token token) throws Exception {
        poll.poll(events, Duration.ofSeconds(2));
        List<Snapshot> got = snapshot(events);
        assertThat(got).as("waker events").hasSize(1);
        assertThat(got.get(0).token()).isEqualTo(token);
        assertThat(got.get(0).readable()).isTrue();
    }

    @Test
    void waker() throws Exception {
        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(10);
            Waker waker = new Waker(poll.registry(), TOKEN);
            waker.wake();
            expectWakerEvent(poll, events, TOKEN);
            expectNoEvents(poll, events);
        }
    }

    @Test
    void multipleWakeupsSameThreadGiveOneEvent() throws Exception {
        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(10);
            Waker waker = new Waker(poll.registry(), TOKEN);
            for (int i = 0; i < 3; i++) {
                waker.wake();
            }
            expectWakerEvent(poll, events, TOKEN);
            expectNoEvents(poll, events);
        }
    }

    @Test
    void wakeupDifferentThread() throws Exception {
        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(10);
            Waker waker = new Waker(poll.registry(), TOKEN);
            Bg bg = Bg.start("waker", waker::wake);
            expectWakerEvent(poll, events, TOKEN);
            expectNoEvents(poll, events);
            bg.join();
        }
    }

    /** A wake from another thread during a blocking poll ends that poll. */
    @Test
    void wakeDuringBlockingPoll() throws Exception {
        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(10);
            Waker waker = new Waker(poll.registry(), TOKEN);
            Thread me = Thread.currentThread();
            Bg bg = Bg.start("waker", () -> {
                awaitInPoll(me);
                waker.wake();
            });
            long t0 = System.nanoTime();
            poll.poll(events, Duration.ofSeconds(10));
            assertThat(snapshot(events)).extracting(Snapshot::token).containsExactly(TOKEN);
            assertThat(System.nanoTime() - t0).isLessThan(Duration.ofSeconds(8).toNanos());
            bg.join();
        }
    }

    @Test
    void multipleWakeupsDifferentThread() throws Exception {
        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(10);
            Waker waker = new Waker(poll.registry(), TOKEN);
            CyclicBarrier barrier = new CyclicBarrier(2);
            Bg t1 = Bg.start("waker1", waker::wake);
            Bg t2 = Bg.start("waker2", () -> {
                barrier.await(10, TimeUnit.SECONDS);
                waker.wake();
            });
            t1.join();
            expectWakerEvent(poll, events, TOKEN);
            barrier.await(10, TimeUnit.SECONDS);
            expectWakerEvent(poll, events, TOKEN);
            expectNoEvents(poll, events);
            t2.join();
        }
    }

    /** Several Wakers per Poll are allowed, each with its own token (mio allows one). */
    @Test
    void severalWakersPerPoll() throws Exception {
        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(10);
            Waker w1 = new Waker(poll.registry(), new Token(1));
            Waker w2 = new Waker(poll.registry().tryClone(), new Token(2));
            w1.wake();
            expectWakerEvent(poll, events, new Token(1));
            w2.wake();
            expectWakerEvent(poll, events, new Token(2));
            w1.wake();
            w2.wake();
            poll.poll(events, Duration.ofSeconds(2));
            List<Snapshot> got = snapshot(events);
            // Both are pending before the poll starts: both come in that poll.
            assertThat(got).extracting(Snapshot::token).containsExactlyInAnyOrder(new Token(1), new Token(2));
            assertThat(got).allMatch(Snapshot::readable);
            expectNoEvents(poll, events);
        }
    }

    /** A Waker owns no file descriptor (issue 2: an atomic flag plus Selector.wakeup()). */
    @Test
    void wakersOwnNoFd() throws Exception {
        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(128);
            new Waker(poll.registry(), new Token(0)).wake(); // warm up
            poll.poll(events, Duration.ofSeconds(1));
            int before = TestUtil.baselineFds();
            List<Waker> wakers = new ArrayList<>();
            for (int i = 1; i <= 100; i++) wakers.add(new Waker(poll.registry(), new Token(i)));
            for (Waker w : wakers) w.wake();
            poll.poll(events, Duration.ofSeconds(1));
            assertThat(events.size()).isEqualTo(100);
            TestUtil.assertFdCount(before);
        }
    }

    /** A wake before the poll is kept until the poll, even a poll(ZERO). */
    @Test
    void wakeBeforePollZero() throws Exception {
        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(10);
            Waker waker = new Waker(poll.registry(), TOKEN);
            waker.wake();
            poll.poll(events, Duration.ZERO);
            assertThat(snapshot(events)).extracting(Snapshot::token).containsExactly(TOKEN);
        }
    }

    /**
     * 16 threads wake one Waker in rounds while this thread polls: every poll gives at most one
     * event (wakes coalesce), the storm gives at least one, and no wake is lost: whenever a wake
     * started after the last event was delivered, the next poll must deliver an event.
     */
    @Test
    void sixteenThreadsWakeOneWaker() throws Exception {
        int threads = 16;
        int wakesPerThread = 500;
        long total = (long) threads * wakesPerThread;
        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(64);
            Waker waker = new Waker(poll.registry(), TOKEN);
            AtomicLong started = new AtomicLong();
            CountDownLatch go = new CountDownLatch(1);
            List<Bg> wakers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                wakers.add(Bg.start("waker-" + t, () -> {
                    go.await(10, TimeUnit.SECONDS);
                    for (int i = 0; i < wakesPerThread; i++) {
                        started.incrementAndGet();
                        waker.wake();
                        if ((i & 63) == 0) Thread.yield();
                    }
                }));
            }
            go.countDown();
            int eventsSeen = 0;
            int polls = 0;
            long snapshotAfterLastEvent;
            do {
                poll.poll(events, Duration.ofSeconds(5));
                polls++;
                List<Snapshot> got = snapshot(events);
                assertThat(got).as("poll %d: a wake started after the last event was lost", polls).hasSize(1);
                assertThat(got.get(0).token()).isEqualTo(TOKEN);
                assertThat(got.get(0).readable()).isTrue();
                eventsSeen++;
                snapshotAfterLastEvent = started.get();
            } while (snapshotAfterLastEvent < total);
            for (Bg bg : wakers) bg.join();
            assertThat(eventsSeen).isGreaterThanOrEqualTo(1).isLessThanOrEqualTo((int) total);
            // At most one event may still be pending (wakes between the last event and the end).
            poll.poll(events, Duration.ZERO);
            assertThat(events.size()).isLessThanOrEqualTo(1);
            expectNoEvents(poll, events);
            // The Waker still works after the storm: a final wake during a blocking poll ends it.
            Thread me = Thread.currentThread();
            Bg last = Bg.start("last-waker", () -> {
                awaitInPoll(me);
                waker.wake();
            });
            poll.poll(events, Duration.ofSeconds(5));
            assertThat(snapshot(events)).extracting(Snapshot::token).containsExactly(TOKEN);
            last.join();
            System.out.println("sixteenThreadsWakeOneWaker: " + total + " wakes gave " + eventsSeen
                    + " events in " + polls + " polls");
        }
    }
}
