package io.verypoll.spring.boot.loop;

import io.verypoll.Interest;
import io.verypoll.Source;
import io.verypoll.Token;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The poll loops of an application: {@code loops} platform threads named {@code verypoll-loop-N}, each
 * serving the sources registered with it.
 *
 * <p>Nothing runs until the group is used: the threads start on the first {@link #register},
 * {@link #execute} or {@link #schedule}, or when a server starts. {@link #close()} stops them, closes
 * what is still registered and waits for the threads to end.
 */
public final class PollLoopGroup implements AutoCloseable {

    private static final Log log = LogFactory.getLog(PollLoopGroup.class);

    /** Settings of a group; see {@code verypoll.*} in the configuration properties. */
    public record Settings(int loops, int eventsCapacity, Duration blockedThreshold, Duration blockedCheckInterval,
                           int maxTasksPerIteration, int maxPendingTasks) {
        public Settings {
            if (loops < 1 || loops > TokenTable.MAX_LOOPS) {
                throw new IllegalArgumentException("loops must be between 1 and " + TokenTable.MAX_LOOPS + ": " + loops);
            }
            if (eventsCapacity < 1) {
                throw new IllegalArgumentException("eventsCapacity must be at least 1: " + eventsCapacity);
            }
            Objects.requireNonNull(blockedThreshold, "blockedThreshold");
            Objects.requireNonNull(blockedCheckInterval, "blockedCheckInterval");
            if (blockedThreshold.isNegative() || blockedThreshold.isZero()) {
                throw new IllegalArgumentException("blockedThreshold must be positive: " + blockedThreshold);
            }
            if (blockedCheckInterval.isNegative() || blockedCheckInterval.isZero()) {
                throw new IllegalArgumentException("blockedCheckInterval must be positive: " + blockedCheckInterval);
            }
            if (maxTasksPerIteration < 1) {
                throw new IllegalArgumentException("maxTasksPerIteration must be at least 1: " + maxTasksPerIteration);
            }
            if (maxPendingTasks < 1) {
                throw new IllegalArgumentException("maxPendingTasks must be at least 1: " + maxPendingTasks);
            }
        }

        public static Settings defaults() {
            return new Settings(Runtime.getRuntime().availableProcessors(), 1024, Duration.ofSeconds(2),
                    Duration.ofSeconds(1), 1024, DEFAULT_MAX_PENDING_TASKS);
        }
    }

    /** Most loops a group may have: the loop index is 8 bits of every token. */
    public static final int MAX_LOOPS = TokenTable.MAX_LOOPS;

    /** Default bound of each loop's task queue. */
    public static final int DEFAULT_MAX_PENDING_TASKS = 65_536;

    /** NEW until first used; STOPPED may start again ({@link #start()}); CLOSED is final. */
    private enum State { NEW, STARTED, STOPPED, CLOSED }

    private final Settings settings;
    private final List<PollLoop> loops;
    private final HandlerErrorCounts handlerErrors = new HandlerErrorCounts();
    private final CopyOnWriteArrayList<Consumer<PollLoop>> failureListeners = new CopyOnWriteArrayList<>();
    private final AtomicInteger nextLoop = new AtomicInteger();
    private final long blockedThresholdNanos;
    private final Object stateLock = new Object();
    private volatile State state = State.NEW;
    private BlockedLoopWatchdog watchdog;

    public PollLoopGroup(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        List<PollLoop> created = new ArrayList<>(settings.loops());
        for (int i = 0; i < settings.loops(); i++) {
            created.add(new PollLoop(i, settings, handlerErrors, this::ensureStarted, this::loopFailed));
        }
        this.loops = Collections.unmodifiableList(created);
        this.blockedThresholdNanos = settings.blockedThreshold().toNanos();
    }

    public Settings settings() {
        return settings;
    }

    public List<PollLoop> loops() {
        return loops;
    }

    public PollLoop loop(int index) {
        return loops.get(index);
    }

    /**
     * The next loop in round-robin order: how servers spread connections. A loop whose machinery
     * failed is skipped; when none runs, the first loop is returned and refuses the work itself.
     */
    public PollLoop next() {
        int n = loops.size();
        if (n == 1) {
            return loops.get(0);
        }
        int start = Math.floorMod(nextLoop.getAndIncrement(), n);
        for (int i = 0; i < n; i++) {
            PollLoop loop = loops.get((start + i) % n);
            if (loop.failure() == null) {
                return loop;
            }
        }
        return loops.get(start);
    }

    /**
     * Calls {@code listener} on the thread of a loop whose machinery failed, before that loop closes
     * what is registered with it: servers close its connections and move their listeners.
     */
    public void onLoopFailure(Consumer<PollLoop> listener) {
        failureListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeLoopFailureListener(Consumer<PollLoop> listener) {
        failureListeners.remove(listener);
    }

    private void loopFailed(PollLoop loop) {
        for (Consumer<PollLoop> listener : failureListeners) {
            try {
                listener.accept(loop);
            } catch (RuntimeException e) {
                log.error("a listener failed while " + loop.threadName() + " was failing", e);
            }
        }
    }

    /** The loop that owns {@code token}. */
    public PollLoop loopOf(Token token) {
        Objects.requireNonNull(token, "token");
        int index = TokenTable.loopOf(token.value());
        if (index >= loops.size()) {
            throw new IllegalArgumentException("not a token of this group: " + token);
        }
        return loops.get(index);
    }

    /** Registers {@code source} on the next loop; see {@link PollLoop#register}. */
    public Token register(Source source, Interest interest, EventHandler handler) throws IOException {
        return next().register(source, interest, handler);
    }

    public void reregister(Token token, Interest interest) throws IOException {
        loopOf(token).reregister(token, interest);
    }

    public void deregister(Token token) throws IOException {
        loopOf(token).deregister(token);
    }

    /** Runs {@code task} on the next loop. */
    public void execute(Runnable task) {
        next().execute(task);
    }

    /** Runs {@code task} on the next loop after {@code delay}. */
    public ScheduledTask schedule(Duration delay, Runnable task) {
        return next().schedule(delay, task);
    }

    public HandlerErrorCounts handlerErrors() {
        return handlerErrors;
    }

    public boolean isStarted() {
        return state == State.STARTED;
    }

    /** True once stopped or closed (until started again). */
    public boolean isStopped() {
        State s = state;
        return s == State.STOPPED || s == State.CLOSED;
    }

    long blockedThresholdNanos() {
        return blockedThresholdNanos;
    }

    /**
     * Starts the loop threads on first use. A stopped group is not restarted by use (work offered to
     * it is refused); only {@link #start()} does that.
     */
    public void ensureStarted() {
        if (state == State.STARTED) {
            return;
        }
        synchronized (stateLock) {
            if (state == State.STOPPED || state == State.CLOSED) {
                throw new IllegalStateException("the verypoll loop group is " + (state == State.CLOSED ? "closed" : "stopped"));
            }
            startLoops();
        }
    }

    /**
     * Starts the loop threads, also after a {@link #stop}: what a context restart (or a paused test
     * context resuming) needs. Counters carry on from before the stop.
     *
     * @throws IllegalStateException once the group is closed
     */
    public void start() {
        synchronized (stateLock) {
            if (state == State.CLOSED) {
                throw new IllegalStateException("the verypoll loop group is closed");
            }
            startLoops();
        }
    }

    /** Guarded by stateLock. */
    private void startLoops() {
        if (state == State.STARTED) {
            return;
        }
        SocketPathWarmUp.run();
        // Everything is opened before any thread starts, so a failure leaves nothing running
        // and the group can be started again.
        int opened = 0;
        try {
            for (PollLoop loop : loops) {
                loop.open();
                opened++;
            }
        } catch (IOException e) {
            abandon(opened);
            throw new UncheckedIOException("could not start the verypoll loops", e);
        } catch (RuntimeException | Error e) {
            abandon(opened);
            throw e;
        }
        for (PollLoop loop : loops) {
            loop.start();
        }
        watchdog = new BlockedLoopWatchdog(this, settings.blockedCheckInterval());
        watchdog.start();
        state = State.STARTED;
        log.debug("started " + loops.size() + " verypoll loops");
    }

    private void abandon(int opened) {
        for (int i = 0; i < opened; i++) {
            loops.get(i).abandon();
        }
    }

    /** Stops the loops: closes what is still registered on them and waits up to {@code timeout} for the threads. */
    public boolean stop(Duration timeout) {
        synchronized (stateLock) {
            if (state == State.STOPPED || state == State.CLOSED) {
                return true;
            }
            boolean wasStarted = state == State.STARTED;
            state = State.STOPPED;
            if (!wasStarted) {
                return true;
            }
            if (watchdog != null) {
                watchdog.stop();
            }
        }
        for (PollLoop loop : loops) {
            loop.requestStop();
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean all = true;
        try {
            for (PollLoop loop : loops) {
                long left = Math.max(0, deadline - System.nanoTime());
                if (!loop.awaitTermination(left, TimeUnit.NANOSECONDS)) {
                    log.warn("verypoll loop " + loop.threadName() + " did not stop within " + timeout);
                    all = false;
                }
            }
            if (watchdog != null) {
                all &= watchdog.awaitTermination(Math.max(0, deadline - System.nanoTime()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return all;
    }

    /** Stops the loops for good: the group cannot start again. */
    @Override
    public void close() {
        stop(Duration.ofSeconds(10));
        synchronized (stateLock) {
            state = State.CLOSED;
        }
    }
}
