package io.verypoll.spring.boot;

import io.verypoll.Event;
import io.verypoll.Events;
import io.verypoll.Interest;
import io.verypoll.Poll;
import io.verypoll.Source;
import io.verypoll.Token;
import io.verypoll.Waker;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One poll loop: a platform thread ({@code verypoll-loop-N}) that owns a {@link Poll}, a {@link Waker},
 * a token table, a timer heap and a task queue.
 *
 * <p>Everything registered here is served by this one thread. {@link #register}, {@link #execute} and
 * {@link #schedule} may be called from any thread; handlers, tasks and timers run on the loop thread.
 * The loop's thread starts with its {@link PollLoopGroup}, which starts on first use.
 */
public final class PollLoop {

    private static final Log log = LogFactory.getLog(PollLoop.class);

    /** Poll timeouts for 0..1000 ms, made once so that a timed poll allocates nothing. */
    private static final Duration[] TIMEOUTS = new Duration[1001];

    static {
        for (int i = 0; i < TIMEOUTS.length; i++) {
            TIMEOUTS[i] = Duration.ofMillis(i);
        }
    }

    /** Size of the loop's shared read buffer: connections read into it and keep no buffer of their own. */
    static final int READ_BUFFER_SIZE = 64 * 1024;

    private final PollLoopGroup group;
    private final int index;
    private final String threadName;
    private final TokenTable table;
    private final TimerHeap timers = new TimerHeap();
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicInteger pendingTasks = new AtomicInteger();
    /** Tasks queued by the loop thread itself: no atomics and no wake-up needed. */
    private final ArrayDeque<Runnable> localTasks = new ArrayDeque<>();
    private final CountDownLatch terminated = new CountDownLatch(1);

    private Poll poll;
    private Waker waker;
    private Events events;
    private ByteBuffer readBuffer;
    private Thread thread;
    private volatile boolean stopRequested;
    private volatile boolean running;
    private volatile Throwable died;

    /** System.nanoTime() when the current iteration left poll(); 0 while blocked in poll(). */
    private volatile long busySinceNanos;
    /** The iteration start the watchdog last reported, so that one episode gives one warning. */
    volatile long reportedBusySince;

    // Plain counters, written only by the loop thread and read by meters (a stale read is fine there).
    private long eventsDispatched;
    private long staleEvents;
    private long wakeups;
    private long polls;
    private long waitNanos;
    private long cycles;
    private long cycleNanos;
    private long blockedIterations;
    /** Episodes first seen by the watchdog (written by its thread only). */
    private volatile long blockedEpisodesReported;
    private long tasksRun;
    private long iterations;
    private long nowNanos;
    private int localQueued;

    PollLoop(PollLoopGroup group, int index) {
        this.group = group;
        this.index = index;
        this.threadName = "verypoll-loop-" + index;
        this.table = new TokenTable(index);
    }

    // ---------------------------------------------------------------- lifecycle (called by the group)

    void start(int eventsCapacity) throws IOException {
        poll = Poll.open();
        try {
            waker = new Waker(poll.registry(), new Token(table.wakerToken()));
        } catch (IOException | RuntimeException e) {
            poll.close();
            throw e;
        }
        events = Events.withCapacity(eventsCapacity);
        readBuffer = ByteBuffer.allocateDirect(READ_BUFFER_SIZE);
        nowNanos = System.nanoTime();
        thread = new Thread(this::run, threadName);
        thread.setDaemon(false);
        thread.setUncaughtExceptionHandler((t, e) -> {
            died = e;
            log.error("verypoll loop thread " + t.getName() + " died", e);
        });
        running = true;
        thread.start();
    }

    void requestStop() {
        stopRequested = true;
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
        group.ensureStarted();
        checkAcceptingWork();
        long token = table.acquire(source, handler);
        try {
            poll.registry().register(source, new Token(token), interest);
        } catch (IOException | RuntimeException e) {
            table.release(token);
            throw e;
        }
        return new Token(token);
    }

    /** Replaces the interests of a live registration (and re-arms them). */
    public void reregister(Token token, Interest interest) throws IOException {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(interest, "interest");
        reregister(token.value(), token, interest);
    }

    void reregister(long token, Token tokenObject, Interest interest) throws IOException {
        TokenTable.Slot slot = table.lookup(token);
        if (slot == null) {
            throw new IllegalStateException("not registered: " + tokenObject + " on loop " + index);
        }
        poll.registry().reregister(slot.source, tokenObject, interest);
    }

    /**
     * Ends a registration. No event for this token reaches a handler after this returns when called
     * on the loop thread; from another thread, an event being dispatched right now may still finish.
     */
    public void deregister(Token token) throws IOException {
        Objects.requireNonNull(token, "token");
        deregister(token.value());
    }

    void deregister(long token) throws IOException {
        Source source = table.release(token);
        if (source == null) {
            throw new IllegalStateException("not registered: Token(" + token + ") on loop " + index);
        }
        poll.registry().deregister(source);
    }

    /** Runs {@code task} on this loop's thread, soon. Safe from any thread. */
    public void execute(Runnable task) {
        Objects.requireNonNull(task, "task");
        group.ensureStarted();
        checkAcceptingWork();
        enqueue(task);
    }

    /**
     * Like {@link #execute} but returns false instead of throwing when the loop is stopping (or has
     * not started): for work that may race with shutdown, such as a broadcast.
     */
    public boolean tryExecute(Runnable task) {
        Objects.requireNonNull(task, "task");
        if (stopRequested || thread == null) {
            return false;
        }
        enqueue(task);
        return true;
    }

    private void enqueue(Runnable task) {
        if (inLoop()) {
            localTasks.add(task);
            localQueued++;
            return;
        }
        pendingTasks.incrementAndGet();
        tasks.add(task);
        // The Waker coalesces: one event however many tasks come, and no syscall unless the loop is
        // blocked in its poll.
        wake();
    }

    /** Runs {@code task} on this loop's thread after {@code delay}. Safe from any thread. */
    public ScheduledTask schedule(Duration delay, Runnable task) {
        Objects.requireNonNull(delay, "delay");
        Objects.requireNonNull(task, "task");
        ScheduledTask scheduled = new ScheduledTask(task);
        long deadline = System.nanoTime() + Math.max(0, delay.toNanos());
        if (inLoop()) {
            timers.arm(scheduled, deadline);
        } else {
            execute(() -> timers.arm(scheduled, deadline));
        }
        return scheduled;
    }

    // ---------------------------------------------------------------- statistics

    public long eventsDispatched() {
        return eventsDispatched;
    }

    /** Events dropped because their token had been deregistered (and possibly reused) meanwhile. */
    public long staleEvents() {
        return staleEvents;
    }

    public long wakeups() {
        return wakeups;
    }

    public long polls() {
        return polls;
    }

    public long waitNanos() {
        return waitNanos;
    }

    public long cycles() {
        return cycles;
    }

    public long cycleNanos() {
        return cycleNanos;
    }

    /** Iterations that took longer than the blocked threshold (counted once, when first noticed). */
    public long blockedIterations() {
        return blockedIterations + blockedEpisodesReported;
    }

    /** True while the current iteration has run longer than the blocked threshold. */
    public boolean isBlocked() {
        return busyNanos() > group.blockedThresholdNanos();
    }

    @SuppressWarnings("NonAtomicOperationOnVolatileField") // only the watchdog thread writes it
    void blockedEpisodeReported() {
        blockedEpisodesReported++;
    }

    public long tasksRun() {
        return tasksRun;
    }

    /** Increases on every iteration: a heartbeat that shows the loop is alive. */
    public long iterations() {
        return iterations;
    }

    public int pendingTasks() {
        return pendingTasks.get() + localQueued;
    }

    public int registrations() {
        return table.live();
    }

    public boolean isRunning() {
        return running;
    }

    /** The throwable that killed this loop's thread, if any. */
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

    // ---------------------------------------------------------------- for connections and servers

    /** The loop's shared read buffer: its contents are valid only until the handler returns. */
    ByteBuffer readBuffer() {
        return readBuffer;
    }

    /** The time the current iteration started: cheaper than System.nanoTime() per read. */
    long now() {
        return nowNanos;
    }

    void armTimer(LoopTimer timer, long deadlineNanos) {
        timers.arm(timer, deadlineNanos);
    }

    void cancelTimer(LoopTimer timer) {
        timers.remove(timer);
    }

    /** Continues work that stopped early for fairness: runs after this iteration's events. */
    void runLater(Runnable continuation) {
        localTasks.add(continuation);
        localQueued++;
    }

    void recordHandlerError(Throwable error) {
        group.handlerErrors().record(error);
    }

    private void checkAcceptingWork() {
        if (stopRequested) {
            throw new IllegalStateException("verypoll loop " + threadName + " is stopped");
        }
    }

    private void wake() {
        Waker current = waker;
        if (current == null) {
            return;
        }
        try {
            current.wake();
        } catch (IOException | ClosedSelectorException e) {
            if (!stopRequested) {
                throw new UncheckedIOException("could not wake " + threadName,
                        e instanceof IOException io ? io : new IOException(e));
            }
        }
    }

    // ---------------------------------------------------------------- the loop

    private void run() {
        try {
            while (!stopRequested) {
                runOnce();
            }
        } catch (ClosedSelectorException e) {
            if (!stopRequested) {
                died = e;
                log.error("verypoll loop " + threadName + " lost its poll", e);
            }
        } finally {
            running = false;
            busySinceNanos = 0;
            closeEverything();
            terminated.countDown();
        }
    }

    private void runOnce() {
        Duration timeout = nextTimeout();
        busySinceNanos = 0;
        long before = System.nanoTime();
        try {
            poll.poll(events, timeout);
        } catch (InterruptedIOException e) {
            // An interrupt flag left set would make every select return at once (a spin): clear it.
            Thread.interrupted();
            log.warn("verypoll loop " + threadName + " was interrupted; the interrupt was cleared");
        } catch (IOException e) {
            log.error("verypoll loop " + threadName + ": poll failed", e);
        } catch (ClosedSelectorException | VirtualMachineError e) {
            throw e;
        } catch (RuntimeException | LinkageError e) {
            // Seen at EMFILE: the JDK closes a cancelled channel inside select and a lazily loaded
            // class fails to initialise. Losing the loop would lose every connection on it.
            log.error("verypoll loop " + threadName + ": poll failed; the loop goes on", e);
        }
        long start = System.nanoTime();
        busySinceNanos = start;
        nowNanos = start;
        polls++;
        waitNanos += start - before;

        dispatch();
        runTimers();
        runTasks();

        long end = System.nanoTime();
        long cycle = end - start;
        cycles++;
        cycleNanos += cycle;
        iterations++;
        if (cycle > group.blockedThresholdNanos() && reportedBusySince != start) {
            blockedIterations++;
        }
    }

    private Duration nextTimeout() {
        if (!localTasks.isEmpty() || !tasks.isEmpty()) {
            return Duration.ZERO;
        }
        if (timers.isEmpty()) {
            return null;
        }
        long delay = timers.nextDeadline() - System.nanoTime();
        if (delay <= 0) {
            return Duration.ZERO;
        }
        long millis = (delay + 999_999) / 1_000_000;
        return TIMEOUTS[(int) Math.min(millis, TIMEOUTS.length - 1)];
    }

    private void dispatch() {
        Events batch = events;
        long wakerToken = table.wakerToken();
        int size = batch.size();
        for (int i = 0; i < size; i++) {
            Event event = batch.get(i);
            long token = event.token().value();
            if (token == wakerToken) {
                wakeups++;
                continue;
            }
            TokenTable.Slot slot = table.lookup(token);
            if (slot == null) {
                staleEvents++;
                continue;
            }
            eventsDispatched++;
            try {
                slot.handler.onEvent(event);
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable e) {
                handlerFailed(token, slot, e);
            }
        }
    }

    private void handlerFailed(long token, TokenTable.Slot slot, Throwable error) {
        recordHandlerError(error);
        Source source = slot.source;
        log.warn("verypoll handler for Token(" + token + ") on " + threadName
                + " threw; closing its source " + source, error);
        try {
            deregister(token);
        } catch (IOException | RuntimeException e) {
            log.debug("deregister after handler error failed", e);
        }
        if (source instanceof Closeable closeable) {
            try {
                closeable.close();
            } catch (IOException e) {
                log.debug("close after handler error failed", e);
            }
        }
    }

    private void runTimers() {
        if (timers.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        LoopTimer timer;
        while ((timer = timers.pollExpired(now)) != null) {
            try {
                timer.fire();
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable e) {
                recordHandlerError(e);
                log.warn("verypoll timer on " + threadName + " threw", e);
            }
        }
    }

    private void runTasks() {
        // Only the local tasks present now: a continuation that re-queues itself waits a poll.
        int local = localTasks.size();
        for (int i = 0; i < local; i++) {
            localQueued--;
            runTask(localTasks.poll());
        }
        int budget = group.maxTasksPerIteration();
        Runnable task;
        while (budget-- > 0 && (task = tasks.poll()) != null) {
            pendingTasks.decrementAndGet();
            runTask(task);
        }
    }

    private void runTask(Runnable task) {
        tasksRun++;
        try {
            task.run();
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) {
            recordHandlerError(e);
            log.warn("verypoll task on " + threadName + " threw", e);
        }
    }

    /** Runs on the loop thread as it exits: nothing it owned may outlive it. */
    private void closeEverything() {
        // Tasks still queued may be closing their own resources (graceful shutdown); run them once.
        try {
            // Bounded: a task that keeps queueing more (a continuation on a busy source) must not
            // keep the loop from ending.
            int budget = localTasks.size() + pendingTasks.get() + group.maxTasksPerIteration();
            Runnable task;
            while (budget-- > 0 && (task = localTasks.poll()) != null) {
                localQueued--;
                runTask(task);
            }
            while (budget-- > 0 && (task = tasks.poll()) != null) {
                pendingTasks.decrementAndGet();
                runTask(task);
            }
        } catch (VirtualMachineError e) {
            log.error("verypoll loop " + threadName + " failed while stopping", e);
        }
        timers.clear();
        for (Source source : table.releaseAll()) {
            if (source instanceof Closeable closeable) {
                try {
                    closeable.close();
                } catch (IOException | RuntimeException e) {
                    log.debug("closing " + source + " at loop stop failed", e);
                }
            }
        }
        try {
            // Closing the poll also flushes the JDK's deferred closes of registered channels.
            poll.close();
        } catch (IOException | RuntimeException e) {
            log.warn("closing the poll of " + threadName + " failed", e);
        }
    }
}
