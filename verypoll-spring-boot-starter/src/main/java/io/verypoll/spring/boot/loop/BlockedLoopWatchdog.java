package io.verypoll.spring.boot.loop;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Watches the loops from outside: a loop stuck in one iteration longer than the blocked threshold can
 * not report itself. Logs one warning per episode with the loop thread's stack, which is what shows
 * the blocking call.
 */
final class BlockedLoopWatchdog {

    private static final Log log = LogFactory.getLog(BlockedLoopWatchdog.class);

    private final PollLoopGroup group;
    private final long intervalNanos;
    private final CountDownLatch stopSignal = new CountDownLatch(1);
    private final Thread thread;
    /** Per loop, the start of the iteration last warned about: one warning per episode. */
    private final long[] warnedIterationStart;

    BlockedLoopWatchdog(PollLoopGroup group, Duration interval) {
        this.group = group;
        this.intervalNanos = interval.toNanos();
        this.thread = new Thread(this::run, "verypoll-watchdog");
        // Daemon: it must never keep a JVM alive on its own; stop() still ends it with the loops.
        this.thread.setDaemon(true);
        this.warnedIterationStart = new long[group.loops().size()];
    }

    void start() {
        thread.start();
    }

    void stop() {
        stopSignal.countDown();
    }

    boolean awaitTermination(long nanos) throws InterruptedException {
        thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos)));
        return !thread.isAlive();
    }

    private void run() {
        try {
            while (!stopSignal.await(intervalNanos, TimeUnit.NANOSECONDS)) {
                check();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void check() {
        long threshold = group.blockedThresholdNanos();
        for (PollLoop loop : group.loops()) {
            long since = loop.busySinceNanos();
            if (since == 0 || warnedIterationStart[loop.index()] == since) {
                continue;
            }
            long busy = System.nanoTime() - since;
            if (busy <= threshold) {
                continue;
            }
            warnedIterationStart[loop.index()] = since;
            loop.stats().blocked(since);
            Thread loopThread = loop.thread();
            StackTraceElement[] stack = loopThread == null ? new StackTraceElement[0] : loopThread.getStackTrace();
            log.warn("verypoll loop " + loop.threadName() + " has been blocked for "
                    + TimeUnit.NANOSECONDS.toMillis(busy) + " ms in one iteration (blocked-threshold "
                    + TimeUnit.NANOSECONDS.toMillis(threshold) + " ms); its stack follows",
                    new BlockedLoopException(loop.threadName(), stack));
        }
    }

    /** Carries the blocked loop's stack so the log shows where it is stuck; never thrown. */
    static final class BlockedLoopException extends RuntimeException {

        BlockedLoopException(String threadName, StackTraceElement[] stack) {
            super("stack of " + threadName, null, false, true);
            setStackTrace(stack);
        }
    }
}
