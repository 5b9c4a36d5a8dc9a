package io.verypoll.spring.boot.loop;

import io.verypoll.Event;
import io.verypoll.Events;
import io.verypoll.Interest;
import io.verypoll.Poll;
import io.verypoll.Source;
import io.verypoll.Token;
import io.verypoll.Waker;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One poll loop: a platform thread ({@code verypoll-loop-N}) that owns a {@link Poll}, a {@link Waker},
 * a token table, a timer heap and task queues.
 *
 * <p>Everything registered here is served by this one thread. {@link #register}, {@link #execute} and
 * {@link #schedule} may be called from any thread; handlers, tasks and timers run on the loop thread.
 * The loop's thread starts with its {@link PollLoopGroup}, which starts on first use.
 *
 * <p><b>Failures.</b> Whatever a handler, task or timer throws, {@link Error}s included, is caught,
 * counted and logged; the loop goes on (a failing handler's source is deregistered and closed). Only a
 * failure of the loop's own machinery (its poll) ends the thread: the loop is then marked
 * {@linkplain #failure() failed}, takes no more work, and the group routes around it.
 *
 * <p><b>Bounded queues.</b> At most {@code maxPendingTasks} tasks from {@link #execute} and
 * {@link #schedule} wait at a time; beyond that {@code execute} throws
 * {@link RejectedExecutionException} and {@link #tryExecute} returns false, counted in
 * {@link LoopStats#rejectedTasks()}. Nobody ever blocks on a full queue, so loops handing work to each other
 * cannot deadlock.
 */
public final class PollLoop {

    private static final Log log = LogFactory.getLog(PollLoop.class);

    /** Size of the loop's shared read buffer: connections read into it and keep no buffer of their own. */
    public static final int READ_BUFFER_SIZE = 64 * 1024;

    /** Longest delay a timer can have (~73 years): keeps deadline differences clear of overflow. */
    static final long MAX_DELAY_NANOS = Long.MAX_VALUE / 4;

    private enum State { NEW, RUNNING, STOPPING, STOPPED, FAILED }

    private final int index;
    private final String threadName;
    private final PollLoopGroup.Settings settings;
    private final long blockedThresholdNanos;
    private final Consumer<PollLoop> onFailure;
    /** Starts the whole group on first use of any of its loops. */
    private final Runnable startOnFirstUse;
    private final TokenTable table;
    private final LoopQueues queues;
    private final LoopStats stats = new LoopStats();
    /** Runs tasks and timers, and takes what handlers throw: the cold side of the loop. */
    private final LoopGuard guard;
    private volatile CountDownLatch terminated = new CountDownLatch(1);
    private final LoopRuntime runtime;

    private Poll poll;
    private Waker waker;
    private Events events;
    /** Read by {@link PollLoopRuntime}; set once, at the first open. */
    ByteBuffer readBuffer;
    private Thread thread;
    private volatile State state = State.NEW;
    private volatile Throwable died;

    /** System.nanoTime() when the current iteration left poll(); 0 while blocked in poll(). */
    private volatile long busySinceNanos;

    /** When the current iteration left poll(): the loop's clock, read by {@link PollLoopRuntime}. */
    long nowNanos;
    private int pollFailures;

    PollLoop(int index, PollLoopGroup.Settings settings, HandlerErrorCounts handlerErrors, Runnable startOnFirstUse,
             Consumer<PollLoop> onFailure) {
        this.index = index;
        this.threadName = "verypoll-loop-" + index;
        this.settings = settings;
        this.blockedThresholdNanos = settings.blockedThreshold().toNanos();
        this.onFailure = onFailure;
        this.startOnFirstUse = startOnFirstUse;
        this.table = new TokenTable(index);
        this.queues = new LoopQueues(settings.maxPendingTasks());
        this.guard = new LoopGuard(threadName, handlerErrors, stats, table, queues);
        this.runtime = new PollLoopRuntime(this, queues, guard);
    }

    // ---------------------------------------------------------------- lifecycle (called by the group)

    /**
     * Opens what the loop owns; nothing runs yet. On failure nothing stays open. A loop that has
     * stopped (or failed) opens afresh: new poll, new queues; its counters go on.
     */
    void open() throws IOException {
        if (state != State.NEW) {
            if (thread != null && thread.isAlive()) {
                throw new IllegalStateException("verypoll loop " + threadName + " has not stopped yet");
            }
            queues.reopen();
            terminated = new CountDownLatch(1);
            died = null;
            state = State.NEW;
        }
        Poll opened = Poll.open();
        try {
            waker = new Waker(opened.registry(), new Token(table.wakerToken()));
            if (events == null) {
                events = Events.withCapacity(settings.eventsCapacity());
                readBuffer = ByteBuffer.allocateDirect(READ_BUFFER_SIZE);
            }
        } catch (IOException | RuntimeException | Error e) {
            opened.close();
            throw e;
        }
        poll = opened;
    }

    /** Closes what {@link #open()} opened, for a loop whose thread never started. */
    void abandon() {
        try {
            poll.close();
        } catch (IOException e) {
            log.debug("closing an unstarted poll failed", e);
        }
    }

    void start() {
        nowNanos = System.nanoTime();
        thread = new Thread(this::run, threadName);
        thread.setDaemon(false);
        thread.setUncaughtExceptionHandler((t, e) -> log.error("verypoll loop thread " + t.getName() + " died", e));
        state = State.RUNNING;
        thread.start();
    }

    void requestStop() {
        if (state == State.RUNNING) {
            state = State.STOPPING;
        }
        wake();
    }

    boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        if (thread == null) {
            return true;
        }
        // Join rather than only wait for the latch: callers count threads right after stop returns.
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        if (!terminated.await(timeout, unit)) {
            return false;
        }
        thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        return !thread.isAlive();
    }

    // ---------------------------------------------------------------- public API

    public int index() {
        return index;
    }

    public String threadName() {
        return threadName;
    }

    /** True when called on this loop's thread. */
    public boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /**
     * Registers {@code source} with this loop's poll. Events for the returned token go to
     * {@code handler} on this loop's thread until the token is deregistered.
     */
    public Token register(Source source, Interest interest, EventHandler handler) throws IOException {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(interest, "interest");
        Objects.requireNonNull(handler, "handler");
        checkRunning();
        TokenTable.Registration registration = table.acquire(source, handler);
        try {
            poll.registry().register(source, registration.tokenObject, interest);
        } catch (IOException | RuntimeException e) {
            table.release(registration.token);
            throw e;
        }
        return registration.tokenObject;
    }

    /** Replaces the interests of a live registration (and re-arms them). */
    public void reregister(Token token, Interest interest) throws IOException {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(interest, "interest");
        TokenTable.Registration registration = table.lookup(token.value());
        if (registration == null) {
            throw new IllegalStateException("not registered: " + token + " on loop " + index);
        }
        poll.registry().reregister(registration.source, registration.tokenObject, interest);
    }

    /**
     * Ends a registration. No event for this token reaches a handler after this returns when called
     * on the loop thread; from another thread, an event being dispatched right now may still finish.
     */
    public void deregister(Token token) throws IOException {
        Objects.requireNonNull(token, "token");
        TokenTable.Registration registration = table.release(token.value());
        if (registration == null) {
            throw new IllegalStateException("not registered: " + token + " on loop " + index);
        }
        poll.registry().deregister(registration.source);
    }

    /**
     * Runs {@code task} on this loop's thread, soon. Safe from any thread.
     *
     * @throws RejectedExecutionException when {@code maxPendingTasks} tasks are already waiting
     * @throws IllegalStateException when the loop is stopped or failed
     */
    public void execute(Runnable task) {
        Objects.requireNonNull(task, "task");
        checkRunning();
        LoopTaskQueue.Offer offer = counted(queues.offerTask(task));
        if (offer == LoopTaskQueue.Offer.FULL) {
            throw new RejectedExecutionException("verypoll loop " + threadName + " already has "
                    + settings.maxPendingTasks() + " tasks waiting (verypoll.max-pending-tasks)");
        }
        if (offer == LoopTaskQueue.Offer.CLOSED) {
            throw new IllegalStateException("verypoll loop " + threadName + " is stopped");
        }
    }

    /**
     * Like {@link #execute} but returns false instead of throwing when the loop is stopping (or has
     * not started) or its queue is full: for work that may race with shutdown, such as a broadcast.
     * True means the task will run.
     */
    public boolean tryExecute(Runnable task) {
        Objects.requireNonNull(task, "task");
        return state == State.RUNNING && counted(queues.offerTask(task)) == LoopTaskQueue.Offer.ACCEPTED;
    }

    /** Wakes the loop for an accepted offer from another thread; counts a refused one. */
    LoopTaskQueue.Offer counted(LoopTaskQueue.Offer offer) {
        if (offer == LoopTaskQueue.Offer.ACCEPTED) {
            if (!inLoop()) {
                wake();
            }
        } else if (offer == LoopTaskQueue.Offer.FULL) {
            stats.taskRejected();
        }
        return offer;
    }

    /**
     * Runs {@code task} on this loop's thread after {@code delay} (capped at about 73 years). Safe
     * from any thread; from another thread it takes a place in the task queue until armed.
     */
    public ScheduledTask schedule(Duration delay, Runnable task) {
        Objects.requireNonNull(delay, "delay");
        Objects.requireNonNull(task, "task");
        ScheduledTask scheduled = new ScheduledTask(this, task);
        long deadline = System.nanoTime() + delayNanos(delay);
        if (inLoop()) {
            checkRunning();
            queues.arm(scheduled, deadline);
        } else {
            execute(() -> {
                if (!scheduled.isCancelled()) {
                    queues.arm(scheduled, deadline);
                }
            });
        }
        return scheduled;
    }

    private static long delayNanos(Duration delay) {
        if (delay.isNegative()) {
            return 0;
        }
        return delay.compareTo(Duration.ofNanos(MAX_DELAY_NANOS)) >= 0 ? MAX_DELAY_NANOS : delay.toNanos();
    }

    // ---------------------------------------------------------------- statistics and state

    /** The loop's counters, readable from any thread. */
    public LoopStats stats() {
        return stats;
    }

    /** True while the current iteration has run longer than the blocked threshold. */
    public boolean isBlocked() {
        return busyNanos() > blockedThresholdNanos;
    }

    public int pendingTasks() {
        return queues.pending();
    }

    /** Timers armed on this loop (scheduled tasks, idle timeouts); cancelled ones until purged. */
    public int scheduledTimers() {
        return queues.timerCount();
    }

    public int registrations() {
        return table.live();
    }

    public boolean isRunning() {
        State s = state;
        return s == State.RUNNING || s == State.STOPPING;
    }

    /** The throwable that ended this loop's thread, if its machinery failed. */
    public Throwable failure() {
        return died;
    }

    /** How long the current iteration has been running, 0 while the loop waits in poll(). */
    public long busyNanos() {
        long since = busySinceNanos;
        return since == 0 ? 0 : System.nanoTime() - since;
    }

    /** The loop's thread, or null before it started. */
    Thread thread() {
        return thread;
    }

    long busySinceNanos() {
        return busySinceNanos;
    }

    /** The loop's poll; tests close it to fail the loop's machinery. */
    Poll poll() {
        return poll;
    }

    // ---------------------------------------------------------------- for servers

    /** The loop's contract for servers (read buffer, clock, timers, hand-offs); not for applications. */
    public LoopRuntime runtime() {
        return runtime;
    }

    /** A scheduled task was cancelled: removed now on the loop, or purged later from elsewhere. */
    void timerCancelled(ScheduledTask timer) {
        if (inLoop()) {
            queues.cancel(timer);
        } else {
            queues.cancelledElsewhere();
        }
    }

    private void checkRunning() {
        if (state == State.NEW) {
            startOnFirstUse.run();
        }
        State s = state;
        if (s != State.RUNNING) {
            throw new IllegalStateException("verypoll loop " + threadName + " is "
                    + (s == State.NEW ? "not started" : s == State.FAILED ? "failed" : "stopped"));
        }
    }

    /** Wakes the loop if it waits in its poll; the Waker coalesces, so this is cheap. */
    void wake() {
        Waker current = waker;
        if (current == null || state == State.NEW) {
            return;
        }
        try {
            current.wake();
        } catch (IOException | ClosedSelectorException e) {
            // The poll is closed: the loop has ended or is ending and will not wait again.
            log.trace("waking " + threadName + " after its poll closed", e);
        }
    }

    // ---------------------------------------------------------------- the loop

    private void run() {
        try {
            while (state == State.RUNNING) {
                runOnce();
            }
        } catch (Throwable e) {
            // Not a handler's error (those are caught where handlers are called): the loop itself broke.
            died = e;
            state = State.FAILED;
            log.error("verypoll loop " + threadName + " failed and stops; its connections are closed and"
                    + " the other loops take its work", e);
        } finally {
            busySinceNanos = 0;
            try {
                if (state == State.FAILED) {
                    onFailure.accept(this);
                }
            } finally {
                guard.closeEverything(poll);
                if (state != State.FAILED) {
                    state = State.STOPPED;
                }
                terminated.countDown();
            }
        }
    }

    private void runOnce() {
        long before = System.nanoTime();
        long timeout = queues.pollTimeoutNanos(before);
        busySinceNanos = 0;
        try {
            poll.poll(events, timeout, TimeUnit.NANOSECONDS);
            pollFailures = 0;
        } catch (InterruptedIOException e) {
            // An interrupt flag left set would make every select return at once (a spin): clear it.
            Thread.interrupted();
            log.warn("verypoll loop " + threadName + " was interrupted; the interrupt was cleared");
        } catch (ClosedSelectorException e) {
            throw e; // the poll is gone: the loop cannot go on
        } catch (IOException | RuntimeException | LinkageError e) {
            // Seen at EMFILE: the JDK closes a cancelled channel inside select and a lazily loaded
            // class fails to initialise. Losing the loop would lose every connection on it.
            log.error("verypoll loop " + threadName + ": poll failed; the loop goes on", e);
            pauseAfterPollFailure();
        }
        long start = System.nanoTime();
        busySinceNanos = start;
        nowNanos = start;

        dispatch();
        queues.runDue(guard, settings.maxTasksPerIteration());

        long end = System.nanoTime();
        long cycle = end - start;
        stats.iteration(start - before, cycle, end);
        if (cycle > blockedThresholdNanos) {
            stats.blocked(start);
        }
    }

    /** A poll that fails again at once must not become a spin: back off up to a second. */
    private void pauseAfterPollFailure() {
        if (++pollFailures < 2) {
            return;
        }
        try {
            Thread.sleep(Math.min(1000, 1L << Math.min(pollFailures, 10)));
        } catch (InterruptedException e) {
            Thread.interrupted(); // the loop thread's interrupt status is cleared, as after a poll
        }
    }

    private void dispatch() {
        Events batch = events;
        long wakerToken = table.wakerToken();
        int size = batch.size();
        for (int i = 0; i < size; i++) {
            Event event = batch.get(i);
            long token = event.token().value();
            if (token == wakerToken) {
                stats.wakeup();
                continue;
            }
            TokenTable.Registration registration = table.lookup(token);
            if (registration == null) {
                stats.staleEvent();
                continue;
            }
            stats.eventDispatched();
            try {
                registration.handler.onEvent(event);
            } catch (Throwable e) {
                guard.handlerFailed(registration, e, poll);
            }
        }
    }
}
