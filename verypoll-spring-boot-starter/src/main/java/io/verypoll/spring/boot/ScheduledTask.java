package io.verypoll.spring.boot;

/**
 * A task given to {@link PollLoop#schedule}. It can be cancelled from any thread; a cancelled task
 * that is already due is skipped rather than removed, which keeps cancellation lock-free.
 */
public final class ScheduledTask extends LoopTimer {

    private final Runnable task;
    private volatile boolean cancelled;
    private volatile boolean done;

    ScheduledTask(Runnable task) {
        this.task = task;
    }

    /** Prevents the task from running if it has not started yet. */
    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }

    /** True once the task has run (or was skipped because it was cancelled). */
    public boolean isDone() {
        return done;
    }

    @Override
    void fire() {
        try {
            if (!cancelled) {
                task.run();
            }
        } finally {
            done = true;
        }
    }
}
