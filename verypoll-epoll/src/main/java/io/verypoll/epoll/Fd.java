package io.verypoll.epoll;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.ClosedChannelException;

/**
 * A file descriptor that is closed only when no call is using it. The number of a closed
 * descriptor is soon reused by the kernel for another file; a read racing with a close on another
 * thread could then read someone else's socket. So every call brackets its use with {@link
 * #acquire()} and {@link #release()}, and {@link #close()} only marks the descriptor closed: the
 * last user out closes it for real (the idea of Netty's {@code FileDescriptor}).
 *
 * <p>One atomic word: bit 0 closed, the rest the number of calls in flight. No call blocks (every
 * descriptor here is non-blocking), except the poller's own {@code epoll_wait}, which a close wakes.
 */
final class Fd {
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Fd.class, "state", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final long CLOSED = 1;
    private static final long USER = 2;

    final int fd;
    @SuppressWarnings("unused") // through STATE
    private volatile long state;

    Fd(int fd) {
        this.fd = fd;
    }

    /** @return false if closed; otherwise the descriptor stays open until {@link #release()} */
    boolean tryAcquire() {
        for (;;) {
            long s = state;
            if ((s & CLOSED) != 0) {
                return false;
            }
            if (STATE.weakCompareAndSet(this, s, s + USER)) {
                return true;
            }
        }
    }

    /** @throws ClosedChannelException if closed */
    void acquire() throws ClosedChannelException {
        if (!tryAcquire()) {
            throw new ClosedChannelException();
        }
    }

    void release() {
        long s = (long) STATE.getAndAdd(this, -USER) - USER;
        if (s == CLOSED) {
            closeNow();
        }
    }

    boolean isOpen() {
        return (state & CLOSED) == 0;
    }

    /** Marks the descriptor closed; it is closed now, or by the last call still using it. Idempotent. */
    void close() {
        for (;;) {
            long s = state;
            if ((s & CLOSED) != 0) {
                return;
            }
            if (STATE.weakCompareAndSet(this, s, s | CLOSED)) {
                if (s == 0) {
                    closeNow();
                }
                return;
            }
        }
    }

    private void closeNow() {
        // Not retried on EINTR: Linux has released the descriptor even then.
        Libc.close(Scratch.get(), fd);
    }

    @Override
    public String toString() {
        return "fd " + fd + (isOpen() ? "" : " (closed)");
    }
}
