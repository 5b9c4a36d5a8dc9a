package io.verypoll.spring.boot.loop;

import io.verypoll.Poll;
import io.verypoll.Source;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import java.io.Closeable;
import java.io.IOException;

/**
 * What a {@link PollLoop} does when the code it runs fails, and when it ends: whatever a handler, task
 * or timer throws is counted and logged and the loop goes on (a failing handler's source is
 * deregistered and closed); as the loop thread exits, nothing it owned outlives it. Apart from the
 * loop so that its iteration reads as the hot path alone. Loop thread only, but for
 * {@link #handlerError}, which the group's counts and {@link LoopStats} make safe from anywhere.
 */
final class LoopGuard implements LoopQueues.Runner {

    /** The loop's own category: these are the loop's messages, and logging is configured by it. */
    private static final Log log = LogFactory.getLog(PollLoop.class);

    private final String threadName;
    private final HandlerErrorCounts handlerErrors;
    private final LoopStats stats;
    private final TokenTable table;
    private final LoopQueues queues;

    LoopGuard(String threadName, HandlerErrorCounts handlerErrors, LoopStats stats, TokenTable table,
              LoopQueues queues) {
        this.threadName = threadName;
        this.handlerErrors = handlerErrors;
        this.stats = stats;
        this.table = table;
        this.queues = queues;
    }

    /** Counted twice: by type for the whole group, and for this loop. */
    void handlerError(Throwable error) {
        handlerErrors.record(error);
        stats.handlerError();
    }

    /** Ends the registration whose handler threw, if it is still the live one. */
    void handlerFailed(TokenTable.Registration registration, Throwable error, Poll poll) {
        handlerError(error);
        log.warn("verypoll handler for " + registration.tokenObject + " on " + threadName
                + " threw; closing its source " + registration.source, error);
        // Released only if this registration still owns its slot: the handler may have ended it
        // itself, and the slot may already serve another source.
        if (table.release(registration.token) != registration) {
            return;
        }
        try {
            poll.registry().deregister(registration.source);
        } catch (IOException | RuntimeException e) {
            log.debug("deregister after handler error failed", e);
        }
        closeQuietly(registration.source);
    }

    /** Tasks run here: whatever they throw is counted and logged, and the loop goes on. */
    @Override
    public void run(Runnable task) {
        stats.taskRun();
        try {
            task.run();
        } catch (Throwable e) {
            handlerError(e);
            log.warn("verypoll task on " + threadName + " threw", e);
        }
    }

    /** Timers fire here, guarded as tasks are. */
    @Override
    public void fire(LoopTimer timer) {
        try {
            timer.fire();
        } catch (Throwable e) {
            handlerError(e);
            log.warn("verypoll timer on " + threadName + " threw", e);
        }
    }

    /** Runs on the loop thread as it exits: nothing it owned may outlive it. */
    void closeEverything(Poll poll) {
        queues.closeAndDrain(this);
        for (TokenTable.Registration registration : table.releaseAll()) {
            closeQuietly(registration.source);
        }
        try {
            // Closing the poll also flushes the JDK's deferred closes of registered channels.
            poll.close();
        } catch (IOException | RuntimeException e) {
            log.warn("closing the poll of " + threadName + " failed", e);
        }
    }

    private void closeQuietly(Source source) {
        if (source instanceof Closeable closeable) {
            try {
                closeable.close();
            } catch (IOException | RuntimeException e) {
                log.debug("closing " + source + " on " + threadName + " failed", e);
            }
        }
    }
}
