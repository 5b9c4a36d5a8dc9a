package io.verypoll.spi;

import io.verypoll.Token;
import java.io.Closeable;
import java.io.IOException;

/**
 * The selector behind one {@code Poll}. Only one thread selects at a time; every other method is
 * thread-safe. A closed poller throws {@link java.nio.channels.ClosedSelectorException} from all
 * but {@link #isOpen()} and {@link #close()}.
 */
public interface Poller extends Closeable {
    /**
     * Clears {@code ready} and fills it with at most its capacity of events; returns with at least
     * one, at the timeout, or throws {@link java.io.InterruptedIOException} on interrupt.
     *
     * @param timeoutNanos negative: no timeout; zero: do not block
     * @throws IllegalStateException if another thread is selecting
     */
    void select(ReadyList ready, long timeoutNanos) throws IOException;

    boolean isOpen();

    /** @throws java.nio.channels.ClosedSelectorException if closed */
    void ensureOpen();

    /** Adds a waker reporting {@code token}; returns its number for {@link #wake(int)}. */
    int addWaker(Token token) throws IOException;

    /** "nio", "epoll": named in the message when a source of another backend is registered. */
    String backend();

    /** Wakes the select in progress (or the next) with the waker's event; wakes coalesce. */
    void wake(int waker) throws IOException;
}
