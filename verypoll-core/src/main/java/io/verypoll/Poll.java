package io.verypoll;

import io.verypoll.internal.SelectedBackend;
import io.verypoll.spi.Poller;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Polls for readiness events on the sources registered with its {@link Registry}: mio's {@code
 * Poll}, on a {@link java.nio.channels.Selector} or, with {@code -Dverypoll.backend=epoll}, on
 * Linux's epoll (see the package documentation).
 *
 * <p>Events are edge-like: after an event for a direction, do the operation until it would block
 * (a read or write returns 0, {@code accept} returns null); only then is that direction watched
 * again. A source that is not drained stays silent instead of spinning the loop.
 *
 * <pre>{@code
 * try (Poll poll = Poll.open(); TcpListener listener = TcpListener.bind(new InetSocketAddress("127.0.0.1", 0))) {
 *     poll.registry().register(listener, new Token(0), Interest.READABLE);
 *     Events events = Events.withCapacity(128);
 *     poll.poll(events, Duration.ofMillis(100)); // empty unless someone connected
 * }
 * }</pre>
 *
 * <p>Only one thread polls at a time; any thread may register, reregister, deregister, wake or
 * close sources meanwhile, and the poll in progress sees the change. Closing the {@code Poll}
 * closes its selector, not the sources.
 */
public final class Poll implements Closeable {
    private final Poller selector;
    private final Registry registry;

    private Poll(Poller selector) {
        this.selector = selector;
        this.registry = new Registry(selector);
    }

    /**
     * Opens a poll with its own selector (mio's {@code Poll::new}), of the JVM's backend: NIO
     * unless {@code -Dverypoll.backend} says otherwise (see the package documentation).
     *
     * @throws IllegalStateException if {@code verypoll.backend} names a backend that cannot work here
     */
    public static Poll open() throws IOException {
        return new Poll(SelectedBackend.get().openPoller());
    }

    /** The registry to register sources with; {@link Registry#tryClone()} gives more handles. */
    public Registry registry() {
        return registry;
    }

    /**
     * Clears {@code events} and waits until at least one event, the timeout, or an interrupt. A
     * wake-up caused by verypoll itself (a registration from another thread) never ends the poll.
     * Readiness that did not fit in an earlier poll's events comes first, and then this poll does
     * not block.
     *
     * @param events filled with at most {@link Events#capacity()} events; what does not fit is
     *     returned by later polls
     * @param timeout null to wait without limit; {@link Duration#ZERO} to check without blocking
     * @throws java.io.InterruptedIOException if the thread is interrupted (its status is kept)
     * @throws IllegalStateException if another thread is polling
     * @throws java.nio.channels.ClosedSelectorException if this poll is closed
     */
    public void poll(Events events, Duration timeout) throws IOException {
        Objects.requireNonNull(events, "events");
        selector.select(events.ready, timeoutNanos(timeout));
    }

    /**
     * {@link #poll(Events, Duration)} with the timeout as an amount of {@code unit}, for loops that
     * keep their deadlines as {@link System#nanoTime()} values and have no {@code Duration} at hand.
     * Allocates nothing, as the other form.
     *
     * <pre>{@code
     * poll.poll(events, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
     * }</pre>
     *
     * @param events filled with at most {@link Events#capacity()} events
     * @param timeout 0 to check without blocking; never negative. It saturates at {@code
     *     Long.MAX_VALUE} nanoseconds (292 years), so {@code Long.MAX_VALUE} in any unit waits for
     *     an event however long it takes; {@code poll(events, (Duration) null)} says the same
     *     outright.
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws java.io.InterruptedIOException if the thread is interrupted (its status is kept)
     * @throws IllegalStateException if another thread is polling
     * @throws java.nio.channels.ClosedSelectorException if this poll is closed
     */
    public void poll(Events events, long timeout, TimeUnit unit) throws IOException {
        Objects.requireNonNull(events, "events");
        Objects.requireNonNull(unit, "unit");
        if (timeout < 0) {
            // Rejected like a negative Duration: a computed deadline that has passed should be
            // clamped to 0 by the caller, not read as "no limit".
            throw new IllegalArgumentException("timeout must not be negative, was " + timeout + " " + unit);
        }
        selector.select(events.ready, unit.toNanos(timeout));
    }

    private static long timeoutNanos(Duration timeout) {
        if (timeout == null) {
            return -1;
        }
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative, was " + timeout);
        }
        try {
            return timeout.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
    }

    /** Closes the selector; registered sources stay open. Later operations on it throw {@link java.nio.channels.ClosedSelectorException}. */
    @Override
    public void close() throws IOException {
        selector.close();
    }
}
