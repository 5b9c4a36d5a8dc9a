package io.verypoll.spring.boot.loop;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The timer heap on its own: order, removal, re-arming, purging, wrap-around and clearing. */
@Timeout(60)
class TimerHeapTest {

    /** A timer whose cancellation the test controls; it is never fired here. */
    private static final class TestTimer extends LoopTimer {
        final int id;
        boolean cancelled;

        TestTimer(int id) {
            this.id = id;
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }

        @Override
        protected void fire() {
        }

        @Override
        public String toString() {
            return "timer " + id + " @" + deadlineNanos;
        }
    }

    /** Polls everything due at {@code now}, asserting the deadlines come out in (wrapping) order. */
    private static List<TestTimer> drain(TimerHeap heap, long now) {
        List<TestTimer> fired = new ArrayList<>();
        LoopTimer timer;
        while ((timer = heap.pollExpired(now)) != null) {
            assertThat(timer.isArmed()).isFalse();
            assertThat(timer.deadlineNanos - now).isLessThanOrEqualTo(0);
            if (!fired.isEmpty()) {
                long previous = fired.get(fired.size() - 1).deadlineNanos;
                assertThat(timer.deadlineNanos - previous).as("%s after deadline %d", timer, previous)
                        .isGreaterThanOrEqualTo(0);
            }
            fired.add((TestTimer) timer);
        }
        return fired;
    }

    @Test
    void oneHundredThousandRandomTimersFireInDeadlineOrder() {
        Random random = new Random(1);
        TimerHeap heap = new TimerHeap();
        Map<TestTimer, Long> deadlines = new IdentityHashMap<>();
        long base = 1_000_000_000L;
        for (int i = 0; i < 100_000; i++) {
            TestTimer timer = new TestTimer(i);
            // A narrow range, so that many deadlines are equal too.
            long deadline = base + random.nextInt(50_000);
            heap.arm(timer, deadline);
            deadlines.put(timer, deadline);
            assertThat(timer.isArmed()).isTrue();
        }
        assertThat(heap.size()).isEqualTo(100_000);
        long min = deadlines.values().stream().mapToLong(Long::longValue).min().orElseThrow();
        assertThat(heap.nextDeadline()).isEqualTo(min);
        // Nothing is due before the earliest deadline.
        assertThat(heap.pollExpired(min - 1)).isNull();

        long middle = base + 25_000;
        List<TestTimer> early = drain(heap, middle);
        assertThat(early).allSatisfy(t -> assertThat(t.deadlineNanos).isLessThanOrEqualTo(middle));
        assertThat(heap.nextDeadline()).isGreaterThan(middle);
        List<TestTimer> late = drain(heap, base + 50_000);

        assertThat(heap.isEmpty()).isTrue();
        assertThat(early.size() + late.size()).isEqualTo(100_000);
        Set<TestTimer> fired = Collections.newSetFromMap(new IdentityHashMap<>());
        fired.addAll(early);
        fired.addAll(late);
        assertThat(fired).hasSize(100_000);
        for (TestTimer timer : fired) {
            assertThat(timer.deadlineNanos).isEqualTo(deadlines.get(timer));
        }
    }

    @Test
    void timersWithEqualDeadlinesAllFire() {
        TimerHeap heap = new TimerHeap();
        List<TestTimer> timers = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            TestTimer timer = new TestTimer(i);
            heap.arm(timer, 500);
            timers.add(timer);
        }
        assertThat(heap.pollExpired(499)).isNull();
        List<TestTimer> fired = drain(heap, 500);
        assertThat(fired).containsExactlyInAnyOrderElementsOf(timers);
        assertThat(heap.isEmpty()).isTrue();
        assertThat(heap.pollExpired(Long.MAX_VALUE / 2)).isNull();
    }

    @Test
    void removingFromTheMiddleKeepsHeapOrder() {
        Random random = new Random(2);
        TimerHeap heap = new TimerHeap();
        List<TestTimer> armed = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            TestTimer timer = new TestTimer(i);
            heap.arm(timer, random.nextInt(1_000_000));
            armed.add(timer);
        }
        List<TestTimer> removed = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            // Mostly random positions; now and then the earliest one (the root).
            TestTimer timer = i % 10 == 0 ? minOf(armed) : armed.get(random.nextInt(armed.size()));
            armed.remove(timer);
            heap.remove(timer);
            removed.add(timer);
            assertThat(timer.isArmed()).isFalse();
            assertThat(heap.size()).isEqualTo(armed.size());
            assertThat(heap.nextDeadline()).isEqualTo(minOf(armed).deadlineNanos);
        }
        // Removing a timer that is not armed changes nothing.
        heap.remove(removed.get(0));
        heap.remove(new TestTimer(-1));
        assertThat(heap.size()).isEqualTo(armed.size());

        List<TestTimer> fired = drain(heap, 1_000_000);
        assertThat(fired).containsExactlyInAnyOrderElementsOf(armed);
    }

    private static TestTimer minOf(List<TestTimer> timers) {
        TestTimer min = timers.get(0);
        for (TestTimer timer : timers) {
            if (timer.deadlineNanos < min.deadlineNanos) {
                min = timer;
            }
        }
        return min;
    }

    @Test
    void reArmingAnArmedTimerMovesItInsteadOfAddingItTwice() {
        TimerHeap heap = new TimerHeap();
        TestTimer moving = new TestTimer(0);
        heap.arm(moving, 100);
        for (int i = 1; i <= 50; i++) {
            heap.arm(new TestTimer(i), 100 + i * 10);
        }
        heap.arm(moving, 5);
        assertThat(heap.size()).isEqualTo(51);
        assertThat(heap.nextDeadline()).isEqualTo(5);

        heap.arm(moving, 10_000);
        assertThat(heap.size()).isEqualTo(51);
        assertThat(heap.nextDeadline()).isEqualTo(110);

        List<TestTimer> fired = drain(heap, 10_000);
        assertThat(fired).hasSize(51);
        assertThat(fired.get(50)).isSameAs(moving);
        assertThat(fired.stream().filter(t -> t == moving).count()).isEqualTo(1);
    }

    /**
     * Random arms, re-arms, removals and polls against a plain map of what should be armed: the heap
     * must always hand out a timer with the earliest deadline, and exactly the armed ones.
     */
    @Test
    void randomOperationsMatchASimpleModel() {
        Random random = new Random(3);
        TimerHeap heap = new TimerHeap();
        List<TestTimer> timers = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            timers.add(new TestTimer(i));
        }
        Map<TestTimer, Long> model = new HashMap<>();
        long now = 0;
        for (int step = 0; step < 200_000; step++) {
            TestTimer timer = timers.get(random.nextInt(timers.size()));
            switch (random.nextInt(4)) {
                case 0, 1 -> {
                    long deadline = now + random.nextInt(1_000);
                    heap.arm(timer, deadline);
                    model.put(timer, deadline);
                }
                case 2 -> {
                    heap.remove(timer);
                    model.remove(timer);
                }
                default -> {
                    now += random.nextInt(20);
                    LoopTimer polled = heap.pollExpired(now);
                    long earliest = model.values().stream().mapToLong(Long::longValue).min().orElse(Long.MAX_VALUE);
                    if (earliest <= now) {
                        assertThat(polled).isNotNull();
                        assertThat(polled.deadlineNanos).isEqualTo(earliest);
                        assertThat(model.remove(polled)).isEqualTo(earliest);
                    } else {
                        assertThat(polled).isNull();
                    }
                }
            }
            assertThat(heap.size()).isEqualTo(model.size());
            assertThat(timer.isArmed()).isEqualTo(model.containsKey(timer));
        }
    }

    @Test
    void purgeCancelledRemovesExactlyTheCancelledOnesAndKeepsOrder() {
        Random random = new Random(4);
        TimerHeap heap = new TimerHeap();
        List<TestTimer> kept = new ArrayList<>();
        List<TestTimer> cancelled = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            TestTimer timer = new TestTimer(i);
            heap.arm(timer, random.nextInt(100_000));
            if (random.nextInt(3) == 0) {
                timer.cancelled = true;
                cancelled.add(timer);
            } else {
                kept.add(timer);
            }
        }

        heap.purgeCancelled();

        assertThat(heap.size()).isEqualTo(kept.size());
        assertThat(cancelled).allSatisfy(t -> assertThat(t.isArmed()).isFalse());
        assertThat(kept).allSatisfy(t -> assertThat(t.isArmed()).isTrue());
        // Purged timers are really gone: removing or re-arming one does not disturb the heap.
        heap.remove(cancelled.get(0));
        assertThat(heap.size()).isEqualTo(kept.size());
        // Survivors can still be moved and removed by their remembered index.
        TestTimer moved = kept.get(kept.size() / 2);
        heap.arm(moved, -1);
        assertThat(heap.nextDeadline()).isEqualTo(-1);
        heap.remove(kept.get(1));
        kept.remove(1);

        List<TestTimer> fired = drain(heap, 100_000);
        assertThat(fired).containsExactlyInAnyOrderElementsOf(kept);
        assertThat(fired.get(0)).isSameAs(moved);
    }

    @Test
    void purgeWithNothingOrEverythingCancelled() {
        TimerHeap heap = new TimerHeap();
        List<TestTimer> timers = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            TestTimer timer = new TestTimer(i);
            heap.arm(timer, 1_000 - i);
            timers.add(timer);
        }
        heap.purgeCancelled();
        assertThat(heap.size()).isEqualTo(100);
        assertThat(heap.nextDeadline()).isEqualTo(901);

        timers.forEach(t -> t.cancelled = true);
        heap.purgeCancelled();
        assertThat(heap.isEmpty()).isTrue();
        assertThat(timers).allSatisfy(t -> assertThat(t.isArmed()).isFalse());
        assertThat(heap.pollExpired(Long.MAX_VALUE / 2)).isNull();
    }

    /**
     * System.nanoTime() may be anywhere, so deadlines can wrap past Long.MAX_VALUE into negative
     * values. Ordered by subtraction, timers within the safe range (differences below 2^63) still fire
     * in order across the wrap.
     */
    @Test
    void deadlinesThatWrapAroundLongMaxValueStillFireInOrder() {
        Random random = new Random(5);
        TimerHeap heap = new TimerHeap();
        long start = Long.MAX_VALUE - 500_000;
        Map<TestTimer, Long> offsets = new IdentityHashMap<>();
        int wrapped = 0;
        for (int i = 0; i < 10_000; i++) {
            TestTimer timer = new TestTimer(i);
            long offset = random.nextInt(1_000_000);
            long deadline = start + offset; // overflows for offsets above 500_000
            if (deadline < 0) {
                wrapped++;
            }
            heap.arm(timer, deadline);
            offsets.put(timer, offset);
        }
        assertThat(wrapped).as("the premise: some deadlines wrapped").isGreaterThan(1_000);

        // At start + 500_000 (still positive) exactly the timers that did not wrap are due.
        long now = start + 500_000;
        List<TestTimer> first = drain(heap, now);
        assertThat(first).allSatisfy(t -> assertThat(offsets.get(t)).isLessThanOrEqualTo(500_000));
        // Then, past the wrap, all the others: the negative deadlines count as later, not earlier.
        List<TestTimer> second = drain(heap, start + 1_000_000);
        assertThat(second).allSatisfy(t -> assertThat(offsets.get(t)).isGreaterThan(500_000));
        assertThat(first.size() + second.size()).isEqualTo(10_000);
        assertThat(second).isNotEmpty();
        assertThat(second.get(0).deadlineNanos).isNegative();
        for (int i = 1; i < second.size(); i++) {
            assertThat(offsets.get(second.get(i))).isGreaterThanOrEqualTo(offsets.get(second.get(i - 1)));
        }
    }

    @Test
    void clearDisarmsEverythingAndTheHeapIsReusable() {
        Random random = new Random(6);
        TimerHeap heap = new TimerHeap();
        List<TestTimer> timers = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            TestTimer timer = new TestTimer(i);
            heap.arm(timer, random.nextInt(10_000));
            timers.add(timer);
        }

        heap.clear();

        assertThat(heap.isEmpty()).isTrue();
        assertThat(heap.size()).isZero();
        assertThat(timers).allSatisfy(t -> assertThat(t.isArmed()).isFalse());
        assertThat(heap.pollExpired(Long.MAX_VALUE / 2)).isNull();
        // Arming a cleared timer again must not try to remove it from a stale position.
        Set<TestTimer> again = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            heap.arm(timers.get(i), 100 - i);
            again.add(timers.get(i));
        }
        assertThat(heap.size()).isEqualTo(10);
        assertThat(drain(heap, 100)).containsExactlyInAnyOrderElementsOf(again);
    }
}
