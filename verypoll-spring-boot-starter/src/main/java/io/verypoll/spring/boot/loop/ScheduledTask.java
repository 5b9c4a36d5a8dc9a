package io.verypoll.spring.boot.loop;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A task given to {@link PollLoop#schedule}. It can be cancelled from any thread: on the loop thread
 * it leaves the loop's timers at once; from elsewhere it is skipped when due, and the loop purges
 * cancelled tasks in bulk once they are many, so cancelled timers never pile up.
 */
public final class ScheduledTask extends LoopTimer {

    private static final int WAITING = 0;
    private static final int CANCELLED = 1;
    private static final int RUNNING = 2;
    private static final int RUN = 3;

    private final PollLoop loop;
    private final Runnable task;
    private final AtomicInteger state = new AtomicInteger(WAITING);

    ScheduledTask(PollLoop loop, Runnable task) {
        this.loop = loop;
        this.task = task;
    }

    /** Prevents the task from running if it has not started yet. */
    public void cancel() {
        if (state.compareAndSet(WAITING, CANCELLED)) {
            loop.timerCancelled(this);
        }
    }

    @Override
    public boolean isCancelled() {
        return state.get() == CANCELLED;
    }

    /** True once the task has run (or was skipped because it was cancelled). */
    public boolean isDone() {
        int s = state.get();
        return s == CANCELLED || s == RUN;
    }

    @Override
    protected void fire() {
        if (state.compareAndSet(WAITING, RUNNING)) {
            try {
                task.run();
            } finally {
                state.set(RUN);
            }
        }
    }
}
