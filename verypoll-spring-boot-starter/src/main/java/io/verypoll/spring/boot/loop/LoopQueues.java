package io.verypoll.spring.boot.loop;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The work a loop does besides its events: application tasks (bounded), the starter's own
 * hand-offs (never refused for capacity), continuations the loop queued for itself, and timers.
 * Offers come from any thread; everything else runs on the loop thread.
 */
final class LoopQueues {

    /** Cancelled timers are purged from the heap once they are this many and half of it. */
    private static final int PURGE_THRESHOLD = 64;

    /** Runs one piece of work, catching and counting what it throws. */
    interface Runner {
        void run(Runnable task);

        void fire(LoopTimer timer);
    }

    private final int maxPendingTasks;
    /** Tasks of applications, bounded; new for every start (a closed one refuses). */
    private volatile LoopTaskQueue tasks;
    /**
     * The starter's own hand-offs (accepted connections, shutdown steps): bounded by what causes them,
     * never refused for capacity, so a busy application cannot lose a connection or a shutdown step.
     */
    private volatile LoopTaskQueue internalTasks;
    /** Continuations queued by the loop thread itself: no atomics and no wake-up needed. */
    private final ArrayDeque<Runnable> continuations = new ArrayDeque<>();
    private final TimerHeap timers = new TimerHeap();
    /** Timers cancelled from other threads that may still sit in the heap. */
    private final AtomicInteger cancelledTimers = new AtomicInteger();

    LoopQueues(int maxPendingTasks) {
        this.maxPendingTasks = maxPendingTasks;
        reopen();
    }

    /** Fresh queues for a loop that starts again; the old ones refuse. */
    void reopen() {
        tasks = new LoopTaskQueue(maxPendingTasks);
        internalTasks = new LoopTaskQueue(Integer.MAX_VALUE);
    }

    LoopTaskQueue.Offer offerTask(Runnable task) {
        return tasks.offer(task);
    }

    LoopTaskQueue.Offer offerInternal(Runnable task) {
        return internalTasks.offer(task);
    }

    void runLater(Runnable continuation) {
        continuations.add(continuation);
    }

    void arm(LoopTimer timer, long deadlineNanos) {
        timers.arm(timer, deadlineNanos);
    }

    void cancel(LoopTimer timer) {
        timers.remove(timer);
    }

    /** A timer was cancelled on another thread: it is skipped when due, and purged in bulk. */
    void cancelledElsewhere() {
        cancelledTimers.incrementAndGet();
    }

    int pending() {
        return tasks.size() + internalTasks.size() + continuations.size();
    }

    int timerCount() {
        return timers.size();
    }

    /** How long the poll may wait: 0 with work queued, until the next timer, else without limit. */
    long pollTimeoutNanos(long now) {
        if (!continuations.isEmpty() || !tasks.isEmpty() || !internalTasks.isEmpty()) {
            return 0;
        }
        if (timers.isEmpty()) {
            return Long.MAX_VALUE; // the poll saturates it: no limit
        }
        // Deadlines are capped (PollLoop.MAX_DELAY_NANOS), so the difference cannot overflow.
        return Math.max(0, timers.nextDeadline() - now);
    }

    /** Fires the due timers, then runs continuations, hand-offs and up to {@code budget} tasks. */
    void runDue(Runner runner, int budget) {
        int cancelled = cancelledTimers.get();
        if (cancelled >= PURGE_THRESHOLD && cancelled >= timers.size() / 2) {
            cancelledTimers.addAndGet(-cancelled);
            timers.purgeCancelled();
        }
        if (!timers.isEmpty()) {
            long now = System.nanoTime();
            LoopTimer timer;
            while ((timer = timers.pollExpired(now)) != null) {
                runner.fire(timer);
            }
        }
        // Only the continuations present now: one that re-queues itself waits a poll.
        for (int n = continuations.size(); n > 0; n--) {
            runner.run(continuations.poll());
        }
        Runnable task;
        while ((task = internalTasks.poll()) != null) {
            runner.run(task);
        }
        while (budget-- > 0 && (task = tasks.poll()) != null) {
            runner.run(task);
        }
    }

    /**
     * As the loop ends: tasks already accepted run once more (graceful shutdown steps among them);
     * once the queues are closed, offers fail instead of being lost, so this ends. Continuations and
     * timers are dropped: they only resume I/O of sources about to be closed.
     */
    void closeAndDrain(Runner runner) {
        tasks.close();
        internalTasks.close();
        Runnable task;
        while ((task = internalTasks.poll()) != null || (task = tasks.poll()) != null) {
            runner.run(task);
        }
        continuations.clear();
        timers.clear();
    }
}
