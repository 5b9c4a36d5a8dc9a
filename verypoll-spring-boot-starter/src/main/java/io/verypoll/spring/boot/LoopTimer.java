package io.verypoll.spring.boot;

/**
 * A timer owned by one loop. Subclasses are reused: arming an armed timer moves it, so per-connection
 * timers (idle timeouts) cost no allocation per I/O.
 */
abstract class LoopTimer {

    long deadlineNanos;

    /** Position in the owning {@link TimerHeap}, or -1 when not armed. */
    int heapIndex = -1;

    final boolean isArmed() {
        return heapIndex >= 0;
    }

    /** True when the timer need not fire any more; such timers may be purged from the heap. */
    boolean isCancelled() {
        return false;
    }

    /** Runs on the loop thread when the deadline has passed. */
    abstract void fire();
}
