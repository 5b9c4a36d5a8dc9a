package io.verypoll.spring.boot.loop;

/**
 * A timer owned by one loop, armed through {@link LoopRuntime#armTimer}. Subclasses are reused:
 * arming an armed timer moves it, so per-connection timers (idle timeouts) cost no allocation per I/O.
 */
public abstract class LoopTimer {

    long deadlineNanos;

    /** Position in the owning {@link TimerHeap}, or -1 when not armed. */
    int heapIndex = -1;

    /** True while the timer waits in its loop's heap. Loop thread only. */
    public final boolean isArmed() {
        return heapIndex >= 0;
    }

    /** True when the timer need not fire any more; such timers may be purged from the heap. */
    public boolean isCancelled() {
        return false;
    }

    /** Runs on the loop thread when the deadline has passed. */
    protected abstract void fire();
}
