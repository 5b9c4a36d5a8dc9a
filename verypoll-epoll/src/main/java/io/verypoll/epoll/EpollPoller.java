package io.verypoll.epoll;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import io.verypoll.Token;
import io.verypoll.spi.Poller;
import io.verypoll.spi.Readiness;
import io.verypoll.spi.ReadyList;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One epoll instance ({@code epoll_create1(EPOLL_CLOEXEC)}) and one eventfd for its wakers.
 *
 * <p><b>Registrations</b> live in a table of slots; {@code epoll_data} carries a slot's key (a
 * generation and the slot's index), not the descriptor, so an event finds its source with one
 * array read and no map, and an event of a registration that ended meanwhile finds a key that is
 * no longer its source's (and is dropped). Registration changes from any thread go straight to the
 * kernel, which applies them to a wait in progress: no wake-up needed.
 *
 * <p><b>Fairness</b> comes from the kernel: with edge-triggered registrations, the ready list is
 * first in, first out, and {@code epoll_wait} takes at most the room left in the events, so what
 * does not fit waits at the head for the next poll. Wakers share the eventfd; a raised waker that
 * did not fit is delivered first by the next poll.
 *
 * <p><b>Interrupts</b>: the blocking {@code epoll_wait} runs between {@code begin()} and {@code
 * end()} of a private {@link java.nio.channels.spi.AbstractSelector}, whose {@code wakeup()} the
 * JDK calls on {@link Thread#interrupt()}; it writes the eventfd.
 */
final class EpollPoller implements Poller {
    /** The eventfd's key; slot keys have a generation of at least 1. */
    private static final long WAKE_KEY = 0;
    /** Events taken per epoll_wait at most (the rest stay queued in the kernel). */
    private static final int MAX_EVENTS = 4096;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(EpollSource[].class);

    private final Fd epfd;
    private final Fd eventfd;
    private final MemorySegment one;
    private final AtomicBoolean polling = new AtomicBoolean();
    private final Interrupter interrupter = new Interrupter(this);
    private volatile boolean closed;
    /** The thread that polled last; others must write the eventfd to wake it. */
    private volatile Thread owner;

    private volatile WakeFlag[] wakers = {};
    private volatile boolean wakePending;
    private int nextWaker;

    /** Slots, grown by copying; written under {@link #table}, read by the poll thread without a lock. */
    private volatile EpollSource[] slots = new EpollSource[64];
    private final Object table = new Object();
    private int[] free = new int[64];
    private int freeCount;
    private int used;
    private int generation;

    /** epoll_wait's output; the poll thread's. */
    private MemorySegment events = MemorySegment.NULL;
    private int eventCapacity;

    EpollPoller() throws IOException {
        Scratch s = Scratch.get();
        int ep = Libc.epollCreate(s);
        if (ep < 0) {
            throw Errno.io(s.errno());
        }
        epfd = new Fd(ep);
        int ev = Libc.eventFd(s);
        if (ev < 0) {
            epfd.close();
            throw Errno.io(s.errno());
        }
        eventfd = new Fd(ev);
        one = Arena.ofAuto().allocate(8, 8);
        one.set(JAVA_LONG, 0, 1);
        try {
            control(Libc.EPOLL_CTL_ADD, eventfd, Libc.EPOLLIN | Libc.EPOLLET, WAKE_KEY);
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** {@code poller} as one of this backend: a source of the epoll backend needs one. */
    static EpollPoller of(Poller poller) {
        if (poller instanceof EpollPoller) {
            return (EpollPoller) poller;
        }
        throw new IllegalArgumentException("a source of the epoll backend cannot be registered with a Poll of the "
                + poller.backend() + " backend; one backend serves a whole JVM (-Dverypoll.backend)");
    }

    @Override
    public String backend() {
        return "epoll";
    }

    @Override
    public boolean isOpen() {
        return !closed;
    }

    @Override
    public void ensureOpen() {
        if (closed) {
            throw new ClosedSelectorException();
        }
    }

    // ---- registrations -------------------------------------------------------------------------

    /** A slot for {@code source}: its key, for epoll_data. */
    long attach(EpollSource source) {
        synchronized (table) {
            int index;
            if (freeCount > 0) {
                index = free[--freeCount];
            } else {
                index = used++;
                if (index == slots.length) {
                    slots = Arrays.copyOf(slots, index * 2);
                }
            }
            generation = generation == Integer.MAX_VALUE ? 1 : generation + 1;
            SLOT.setRelease(slots, index, source);
            return ((long) generation << 32) | index;
        }
    }

    void detach(long key) {
        synchronized (table) {
            int index = (int) key;
            SLOT.setRelease(slots, index, (EpollSource) null);
            if (freeCount == free.length) {
                free = Arrays.copyOf(free, free.length * 2);
            }
            free[freeCount++] = index;
        }
    }

    /** epoll_ctl on {@code fd}, both descriptors held open meanwhile. */
    void control(int op, Fd fd, int events, long key) throws IOException {
        if (!epfd.tryAcquire()) {
            throw new ClosedSelectorException();
        }
        try {
            if (!fd.tryAcquire()) {
                throw new ClosedChannelException();
            }
            try {
                Scratch s = Scratch.get();
                if (Libc.epollCtl(s, epfd.fd, op, fd.fd, events, key) < 0) {
                    throw Errno.socket(s.errno());
                }
            } finally {
                fd.release();
            }
        } finally {
            epfd.release();
        }
    }

    /** {@link #control} where a closed poller or descriptor means there is nothing left to do. */
    void controlQuietly(int op, Fd fd, int events, long key) {
        try {
            control(op, fd, events, key);
        } catch (IOException | ClosedSelectorException e) {
            // Gone with the descriptor or the poller.
        }
    }

    // ---- polling -------------------------------------------------------------------------------

    @Override
    public void select(ReadyList ready, long timeoutNanos) throws IOException {
        ensureOpen();
        if (!polling.compareAndSet(false, true)) {
            ensureOpen(); // a close takes the flag for good: report the close, not a second poller
            throw new IllegalStateException("another thread is already polling this Poll; only one thread may poll at a time");
        }
        try {
            Thread self = Thread.currentThread();
            owner = self;
            ready.clear();
            reserveEvents(ready.capacity());
            // May overflow for huge timeouts; only differences with nanoTime() are used.
            long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
            boolean wakersDelivered = false;
            for (;;) {
                throwIfInterrupted(self);
                // Wakers left over from the last poll are older than anything the kernel has now.
                if (wakePending && !wakersDelivered) {
                    wakersDelivered = collectWakers(ready);
                }
                int room = Math.min(ready.capacity() - ready.size(), eventCapacity);
                if (room > 0) {
                    int timeout;
                    if (ready.size() > 0 || timeoutNanos == 0 || (wakePending && !wakersDelivered)) {
                        timeout = 0;
                    } else if (timeoutNanos < 0) {
                        timeout = -1;
                    } else {
                        timeout = ceilMillis(deadline - System.nanoTime());
                    }
                    dispatch(waitForEvents(room, timeout), ready);
                    if (wakePending && !wakersDelivered) {
                        wakersDelivered = collectWakers(ready);
                    }
                }
                if (ready.size() > 0) {
                    return;
                }
                throwIfInterrupted(self);
                if (timeoutNanos == 0 || (timeoutNanos > 0 && deadline - System.nanoTime() <= 0)) {
                    return;
                }
                // Only internal wake-ups, or events owed nothing: wait again.
            }
        } finally {
            polling.set(false);
            closeIfDone();
        }
    }

    /**
     * Closes the descriptors of a closed poller, once no poll is in progress: closing the eventfd
     * under a blocked epoll_wait would take the wake-up out of the ready list before the wait saw
     * it. Called by close and by a poll ending, each after its own change, so one of them sees both.
     */
    private void closeIfDone() {
        if (closed && polling.compareAndSet(false, true)) {
            eventfd.close();
            epfd.close();
        }
    }

    private void reserveEvents(int capacity) {
        int wanted = Math.min(capacity, MAX_EVENTS);
        if (wanted > eventCapacity) {
            events = Arena.ofAuto().allocate((long) wanted * Libc.EVENT_SIZE, 8);
            eventCapacity = wanted;
        }
    }

    /** @return the number of events in {@link #events} */
    private int waitForEvents(int max, int timeoutMillis) throws IOException {
        if (!epfd.tryAcquire()) {
            throw new ClosedSelectorException();
        }
        Scratch s = Scratch.get();
        int n;
        try {
            if (timeoutMillis == 0) {
                n = Libc.epollWaitNow(s, epfd.fd, events, max);
            } else {
                interrupter.enter();
                try {
                    n = Libc.epollWait(s, epfd.fd, events, max, timeoutMillis);
                } finally {
                    interrupter.exit();
                }
            }
        } finally {
            epfd.release();
        }
        ensureOpen(); // a close wakes the wait: report it
        if (n < 0) {
            if (s.errno() == Libc.EINTR) {
                return 0;
            }
            throw Errno.io(s.errno());
        }
        return n;
    }

    private void dispatch(int n, ReadyList ready) {
        // Read after epoll_wait: every slot written before its registration reached the kernel is here.
        EpollSource[] table = slots;
        for (int i = 0; i < n; i++) {
            long at = (long) i * Libc.EVENT_SIZE;
            int ev = events.get(JAVA_INT_UNALIGNED, at);
            long key = events.get(JAVA_LONG_UNALIGNED, at + Libc.EVENT_DATA_OFFSET);
            if (key == WAKE_KEY) {
                continue; // the eventfd: wakers are collected by the caller
            }
            EpollSource source = (EpollSource) SLOT.getAcquire(table, (int) key);
            if (source != null) {
                source.onEvent(key, ev, ready);
            }
        }
    }

    private static void throwIfInterrupted(Thread self) throws InterruptedIOException {
        if (self.isInterrupted()) {
            throw new InterruptedIOException("poll interrupted (the thread's interrupt status is kept)");
        }
    }

    private static int ceilMillis(long nanos) {
        if (nanos <= 0) {
            return 0;
        }
        long millis = (nanos + 999_999) / 1_000_000;
        return (int) Math.min(millis, Integer.MAX_VALUE);
    }

    // ---- wakers --------------------------------------------------------------------------------

    @Override
    public synchronized int addWaker(Token token) {
        ensureOpen();
        WakeFlag[] grown = Arrays.copyOf(wakers, wakers.length + 1);
        grown[grown.length - 1] = new WakeFlag(token);
        wakers = grown;
        return grown.length - 1;
    }

    @Override
    public void wake(int waker) {
        ensureOpen();
        if (wakers[waker].raise()) {
            wakePending = true;
            wakeIfOtherThread();
        }
    }

    /** Ends a wait in progress on another thread. The poll thread itself never waits meanwhile. */
    private void wakeIfOtherThread() {
        if (polling.get() && Thread.currentThread() != owner) {
            signal();
        }
    }

    /** Writes the eventfd: a wait in progress returns, or the next one at once. */
    void signal() {
        if (!eventfd.tryAcquire()) {
            return;
        }
        try {
            Libc.write(Scratch.get(), eventfd.fd, one, 8);
        } finally {
            eventfd.release();
        }
    }

    /**
     * Adds raised wakers to {@code ready} while there is room, starting after the last one
     * delivered, so several wakers share small events fairly. What does not fit stays raised.
     *
     * @return true if at least one was delivered (not collected again in this poll: one event per token)
     */
    private boolean collectWakers(ReadyList ready) {
        wakePending = false; // before the flags are read: a wake racing with this sets it again
        WakeFlag[] all = wakers;
        boolean delivered = false;
        int start = nextWaker;
        for (int i = 0; i < all.length; i++) {
            int at = (start + i) % all.length;
            WakeFlag flag = all[at];
            if (!flag.isRaised()) {
                continue;
            }
            if (ready.isFull()) {
                wakePending = true;
                break;
            }
            if (flag.lower()) {
                ready.add(flag.token, Readiness.READABLE);
                delivered = true;
                nextWaker = at + 1;
            }
        }
        return delivered;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        signal(); // a poll blocked in epoll_wait returns and reports the close
        closeIfDone();
    }
}
