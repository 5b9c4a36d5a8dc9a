package io.verypoll.spring.boot.loop;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.LongAdder;

/**
 * The counters of one loop. The loop thread is their only writer and pays a plain store for each
 * update (an opaque store, which cannot tear); meters and the endpoint read them from other threads
 * with opaque loads, so a 64-bit value is never seen half written (JLS 17.7 allows that for plain
 * {@code long}s). Blocked iterations are the exception: the loop and its watchdog both count them,
 * once per iteration whichever sees it first.
 *
 * <pre>{@code
 * LoopStats stats = group.loop(0).stats();
 * long events = stats.eventsDispatched();
 * }</pre>
 */
public final class LoopStats {

    private static final VarHandle EVENTS;
    private static final VarHandle STALE;
    private static final VarHandle WAKEUPS;
    private static final VarHandle TASKS;
    private static final VarHandle ITERATIONS;
    private static final VarHandle BLOCKED;
    private static final VarHandle LAST_BLOCKED;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            EVENTS = lookup.findVarHandle(LoopStats.class, "eventsDispatched", long.class);
            STALE = lookup.findVarHandle(LoopStats.class, "staleEvents", long.class);
            WAKEUPS = lookup.findVarHandle(LoopStats.class, "wakeups", long.class);
            TASKS = lookup.findVarHandle(LoopStats.class, "tasksRun", long.class);
            ITERATIONS = lookup.findVarHandle(LoopStats.class, "iterations", long.class);
            BLOCKED = lookup.findVarHandle(LoopStats.class, "blockedIterations", long.class);
            LAST_BLOCKED = lookup.findVarHandle(LoopStats.class, "lastBlockedStart", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // Written by the loop thread only; read through opaque loads.
    private long eventsDispatched;
    private long staleEvents;
    private long wakeups;
    private long tasksRun;
    private long iterations;
    private final DurationHistogram waitTimes = new DurationHistogram();
    private final DurationHistogram cycleTimes = new DurationHistogram();
    /** Written by any thread that offers a task. */
    private final LongAdder rejectedTasks = new LongAdder();
    /** Rare, and servers may count from outside the loop thread: an adder keeps that simple. */
    private final LongAdder handlerErrors = new LongAdder();
    // Written by the loop and its watchdog, atomically.
    private long blockedIterations;
    private long lastBlockedStart;

    LoopStats() {
    }

    // ---------------------------------------------------------------- the loop thread

    void eventDispatched() {
        EVENTS.setOpaque(this, eventsDispatched + 1);
    }

    void staleEvent() {
        STALE.setOpaque(this, staleEvents + 1);
    }

    void wakeup() {
        WAKEUPS.setOpaque(this, wakeups + 1);
    }

    void taskRun() {
        TASKS.setOpaque(this, tasksRun + 1);
    }

    /** One iteration: {@code waited} in the poll, then {@code busy} dispatching, ending at {@code now}. */
    void iteration(long waited, long busy, long now) {
        waitTimes.record(waited, now);
        cycleTimes.record(busy, now);
        ITERATIONS.setOpaque(this, iterations + 1);
    }

    /** A task was refused because the queue was full; any thread. */
    void taskRejected() {
        rejectedTasks.increment();
    }

    /** A handler, task or timer run by this loop threw; any thread. */
    void handlerError() {
        handlerErrors.increment();
    }

    /**
     * Counts the iteration that started at {@code iterationStart} as blocked, unless it was counted
     * already (by the loop or by its watchdog).
     *
     * @return true if this call counted it
     */
    boolean blocked(long iterationStart) {
        long last = (long) LAST_BLOCKED.getVolatile(this);
        if (last == iterationStart || !LAST_BLOCKED.compareAndSet(this, last, iterationStart)) {
            return false;
        }
        BLOCKED.getAndAdd(this, 1L);
        return true;
    }

    // ---------------------------------------------------------------- any thread

    public long eventsDispatched() {
        return (long) EVENTS.getOpaque(this);
    }

    /** Events dropped because their token had been deregistered (and possibly reused) meanwhile. */
    public long staleEvents() {
        return (long) STALE.getOpaque(this);
    }

    public long wakeups() {
        return (long) WAKEUPS.getOpaque(this);
    }

    public long polls() {
        return waitTimes.count();
    }

    /** Nanoseconds spent waiting in the poll. */
    public long waitNanos() {
        return waitTimes.totalNanos();
    }

    public long cycles() {
        return cycleTimes.count();
    }

    /** Nanoseconds spent outside the poll: events, timers, tasks. */
    public long cycleNanos() {
        return cycleTimes.totalNanos();
    }

    /** How long each iteration waited in the poll. */
    public DurationHistogram waitTimes() {
        return waitTimes;
    }

    /** How long each iteration ran outside the poll: events, timers, tasks. */
    public DurationHistogram cycleTimes() {
        return cycleTimes;
    }

    public long tasksRun() {
        return (long) TASKS.getOpaque(this);
    }

    /** Increases on every iteration: a heartbeat that shows the loop is alive. */
    public long iterations() {
        return (long) ITERATIONS.getOpaque(this);
    }

    /** Tasks refused because the loop's queue was full ({@code verypoll.max-pending-tasks}). */
    public long rejectedTasks() {
        return rejectedTasks.sum();
    }

    /** Exceptions thrown by what this loop ran: handlers of servers and raw handlers, tasks, timers. */
    public long handlerErrors() {
        return handlerErrors.sum();
    }

    /** Iterations that took longer than the blocked threshold (counted once, when first noticed). */
    public long blockedIterations() {
        return (long) BLOCKED.getVolatile(this);
    }
}
