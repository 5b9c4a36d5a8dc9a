package io.verypoll.spring.boot.server;

import io.verypoll.Interest;
import io.verypoll.Token;
import io.verypoll.net.SocketListener;
import io.verypoll.spring.boot.loop.EventHandler;
import io.verypoll.spring.boot.loop.LoopTimer;
import io.verypoll.spring.boot.loop.PollLoop;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One listening socket of a {@link StreamServer} and the loop that accepts on it. With
 * {@code accept=hand-off} a server has one, which hands each connection to the next loop in turn;
 * with {@code accept=reuseport} one per loop, each keeping its connections on its own loop.
 *
 * <p>Owned by its loop's thread; the state and the counters are read from elsewhere. Everything on
 * the accept-error path is made in advance: at EMFILE even loading a class can fail for want of a
 * file descriptor.
 */
final class Acceptor {

    private static final Log log = LogFactory.getLog(Acceptor.class);

    /** Accepts per readiness event before yielding to the loop's other work. */
    static final int MAX_ACCEPTS_PER_EVENT = 64;

    /** ACCEPTING: registered for readiness. PAUSED: deregistered after an accept error, a timer resumes it. */
    enum State { ACCEPTING, PAUSED, CLOSED }

    /**
     * What the acceptors of one loop counted, kept across restarts. One writer at a time (the loop
     * that accepts, or the failed loop that hands its listener on); meters read them.
     */
    static final class Counts {
        volatile long accepted;
        volatile long rejectedMaxConnections;
        volatile long rejectedAcceptErrors;
    }

    private final StreamServer server;
    private final SocketListener<?> listener;
    /** reuseport: connections stay on this acceptor's loop; hand-off: they go to the next loop in turn. */
    private final boolean keepsConnections;
    private final Counts counts;
    private volatile PollLoop loop;
    private volatile Token token;
    private volatile State state = State.ACCEPTING;
    private long backoffNanos;
    private long errorsInEpisode;

    private final EventHandler acceptHandler = event -> acceptSome();
    private final Runnable acceptAgain = this::acceptAgain;
    private final Runnable resumeTask = this::resume;
    private final ResumeTimer resumeTimer = new ResumeTimer();
    /** One resume hand-off at a time, however many connections close meanwhile. */
    private final AtomicBoolean resumeQueued = new AtomicBoolean();

    Acceptor(StreamServer server, SocketListener<?> listener, PollLoop loop, boolean keepsConnections, Counts counts) {
        this.server = server;
        this.listener = listener;
        this.loop = loop;
        this.keepsConnections = keepsConnections;
        this.counts = counts;
        this.backoffNanos = server.settings().acceptBackoff().toNanos();
    }

    /** Registers the listener with its loop: accepting starts. */
    void start() throws IOException {
        token = loop.register(listener, Interest.READABLE, acceptHandler);
    }

    PollLoop loop() {
        return loop;
    }

    SocketAddress listenerAddress() throws IOException {
        return listener.localAddress();
    }

    boolean isPaused() {
        return state == State.PAUSED;
    }

    boolean isClosed() {
        return state == State.CLOSED;
    }

    private void acceptAgain() {
        if (state == State.ACCEPTING) {
            acceptSome();
        }
    }

    private void acceptSome() {
        PollLoop here = loop;
        for (int i = 0; i < MAX_ACCEPTS_PER_EVENT; i++) {
            StreamChannel channel;
            try {
                channel = server.acceptOne(listener);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                acceptFailed(e);
                return;
            }
            if (channel == null) {
                if (errorsInEpisode > 0) {
                    log.info("server '" + server.name() + "': accepting again after " + errorsInEpisode + " accept error(s)");
                    errorsInEpisode = 0;
                }
                backoffNanos = server.settings().acceptBackoff().toNanos();
                return; // would block: accept is armed again
            }
            server.admit(channel, counts, target(here));
        }
        here.runtime().runLater(acceptAgain);
    }

    /** Where a connection accepted on {@code here} is served; null when no loop runs any more. */
    private PollLoop target(PollLoop here) {
        if (keepsConnections && here.failure() == null) {
            return here;
        }
        PollLoop next = server.group.next();
        return next.failure() == null ? next : null;
    }

    private void acceptFailed(IOException error) {
        counts.rejectedAcceptErrors++;
        long pauseNanos = backoffNanos;
        backoffNanos = Math.min(backoffNanos * 2, server.settings().acceptBackoffMax().toNanos());
        // One warning per episode, and a plain message: building a stack trace walks classes that
        // may need file descriptors.
        if (errorsInEpisode++ == 0) {
            log.warn("server '" + server.name() + "': accept failed (" + error.getMessage() + "); pausing accept for "
                    + TimeUnit.NANOSECONDS.toMillis(pauseNanos) + " ms, then retrying with backoff up to "
                    + server.settings().acceptBackoffMax().toMillis() + " ms");
        } else if (log.isDebugEnabled()) {
            log.debug("server '" + server.name() + "': accept failed again (" + error.getMessage() + "); pausing "
                    + TimeUnit.NANOSECONDS.toMillis(pauseNanos) + " ms");
        }
        deregisterQuietly(loop);
        state = State.PAUSED;
        loop.runtime().armTimer(resumeTimer, System.nanoTime() + pauseNanos);
    }

    private void resume() {
        resumeQueued.set(false);
        if (state != State.PAUSED) {
            return;
        }
        PollLoop here = loop;
        here.runtime().cancelTimer(resumeTimer);
        try {
            // Registering again arms readiness again: connections that waited in the backlog show up.
            token = here.register(listener, Interest.READABLE, acceptHandler);
            state = State.ACCEPTING;
        } catch (IOException | RuntimeException e) {
            log.warn("server '" + server.name() + "': could not resume accepting (" + e.getMessage() + "); retrying");
            here.runtime().armTimer(resumeTimer, System.nanoTime() + backoffNanos);
        }
    }

    private final class ResumeTimer extends LoopTimer {
        @Override
        protected void fire() {
            resume();
        }
    }

    /** Any thread: a descriptor was just freed, so a paused acceptor tries now rather than at the end of its pause. */
    void connectionClosed() {
        if (state == State.PAUSED && resumeQueued.compareAndSet(false, true)
                && !loop.runtime().executeInternal(resumeTask)) {
            resumeQueued.set(false);
        }
    }

    /**
     * On its loop's thread (or the caller's, once the loop runs no tasks): stops accepting, accepts
     * what the kernel has already queued on the listener and serves it as usual ({@code drain}; not
     * when a start fails), then closes the listener. Closing a listener resets the connections still in its queue, so none is left there;
     * one that completes its handshake between the last accept and the close is still reset (see the
     * README, "Listeners across loops").
     */
    void close(boolean drain) {
        if (state == State.CLOSED) {
            return;
        }
        PollLoop here = loop;
        boolean registered = state == State.ACCEPTING;
        state = State.CLOSED;
        here.runtime().cancelTimer(resumeTimer);
        if (registered) {
            deregisterQuietly(here);
        }
        if (drain) {
            drainQueued(here);
        }
        try {
            server.closeListener(listener);
        } catch (IOException e) {
            log.warn("closing a listener of '" + server.name() + "' failed", e);
        }
    }

    /**
     * Accepts until the queue is empty; bounded (twice the backlog), as clients may keep connecting
     * while it runs.
     */
    private void drainQueued(PollLoop here) {
        long limit = 2L * server.settings().backlog() + MAX_ACCEPTS_PER_EVENT;
        for (long i = 0; i < limit; i++) {
            StreamChannel channel;
            try {
                channel = server.acceptOne(listener);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                counts.rejectedAcceptErrors++;
                log.warn("server '" + server.name() + "': accept failed (" + e.getMessage() + ") while taking the"
                        + " connections queued on a closing listener; the rest are reset");
                return;
            }
            if (channel == null) {
                return;
            }
            server.admit(channel, counts, target(here));
        }
    }

    /**
     * On the thread of a loop whose machinery failed: with hand-off the listener moves to a loop
     * that still runs, queue and all; with reuseport it closes, its queued connections served by
     * the loops left (the kernel sends new ones to the listeners still open).
     */
    void loopFailed(PollLoop failed) {
        if (failed != loop || state == State.CLOSED) {
            return;
        }
        if (keepsConnections) {
            close(true);
            return;
        }
        failed.runtime().cancelTimer(resumeTimer);
        state = State.ACCEPTING;
        PollLoop target = server.group.next();
        loop = target;
        server.moveRegistration(failed, target, token, listener, acceptHandler, moved -> token = moved);
    }

    private void deregisterQuietly(PollLoop here) {
        try {
            here.deregister(token);
        } catch (IOException | RuntimeException e) {
            log.trace("listener already deregistered", e);
        }
    }
}
