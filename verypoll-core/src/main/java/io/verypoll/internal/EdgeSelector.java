package io.verypoll.internal;

import io.verypoll.Token;
import io.verypoll.spi.Poller;
import io.verypoll.spi.Readiness;
import io.verypoll.spi.ReadyList;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * mio's poll on a {@link Selector}: the one place that talks to the JDK selector.
 *
 * <p>The JDK selector is level-triggered; {@link ChannelState} turns it into edge semantics by
 * disarming what it reported. This class owns the select loop: it re-selects after wake-ups it
 * caused itself (a registration from another thread), so a poll ends only with events, at its
 * timeout or on interrupt. Selection goes through {@link Selector#select(Consumer, long)} with one
 * preallocated consumer, so a poll allocates nothing.
 *
 * <p><b>Fairness beyond capacity.</b> The JDK reports ready keys in a stable order, so readiness
 * dropped for lack of room would starve the same sources at every poll. What does not fit waits
 * in a first-in, first-out queue of {@link ReadyNode}s (keys and wakers alike) and is delivered by
 * a later poll, before anything found after it. An entry is queued at most once (later readiness
 * is merged into it) and re-checked when delivered. While the queue is not empty, polls do not
 * block. When it is empty, the only cost is a branch.
 */
public final class EdgeSelector implements Poller {
    private static final WakeFlag[] NO_WAKERS = {};

    private final Selector selector;
    private final AtomicBoolean polling = new AtomicBoolean();
    private final Consumer<SelectionKey> onSelected = this::onSelected;

    /** The thread that polled last; others must wake the selector for their changes to be seen. */
    private volatile Thread owner;

    private volatile WakeFlag[] wakers = NO_WAKERS;
    private volatile boolean wakePending;

    /** The list being filled; only touched by the polling thread. */
    private ReadyList out;
    /** Deferred entries, oldest first; only touched by the thread that holds {@link #polling}. */
    private ReadyNode head;
    private ReadyNode tail;

    public EdgeSelector() throws IOException {
        selector = Selector.open();
    }

    /** {@code poller} as a selector of this backend: a source of the NIO backend needs one. */
    static EdgeSelector of(Poller poller) {
        if (poller instanceof EdgeSelector) {
            return (EdgeSelector) poller;
        }
        throw new IllegalArgumentException("a source of the nio backend cannot be registered with a Poll of the "
                + poller.backend() + " backend; one backend serves a whole JVM (-Dverypoll.backend)");
    }

    Selector selector() {
        return selector;
    }

    @Override
    public String backend() {
        return "nio";
    }

    @Override
    public boolean isOpen() {
        return selector.isOpen();
    }

    @Override
    public void ensureOpen() {
        if (!selector.isOpen()) {
            throw new ClosedSelectorException();
        }
    }

    /**
     * Fills {@code ready} with at most its capacity of events.
     *
     * @param timeoutNanos negative: no timeout; zero: do not block
     */
    @Override
    public void select(ReadyList ready, long timeoutNanos) throws IOException {
        ensureOpen();
        if (!polling.compareAndSet(false, true)) {
            ensureOpen(); // a close takes the flag for a moment: report the close, not a second poller
            throw new IllegalStateException("another thread is already polling this Poll; only one thread may poll at a time");
        }
        try {
            Thread self = Thread.currentThread();
            owner = self;
            ready.clear();
            out = ready;
            // May overflow for huge timeouts (Long.MAX_VALUE); only differences with nanoTime() are
            // used, and those stay exact.
            long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
            for (;;) {
                throwIfInterrupted(self);
                // Wakers are collected once, after the select, so one poll reports each at most once.
                if (wakePending || timeoutNanos == 0 || head != null) {
                    selector.selectNow(onSelected);
                } else if (timeoutNanos < 0) {
                    selector.select(onSelected, 0);
                } else {
                    long remaining = deadline - System.nanoTime();
                    if (remaining <= 0) {
                        selector.selectNow(onSelected);
                    } else {
                        selector.select(onSelected, ceilMillis(remaining));
                    }
                }
                collectWakers();
                // After the select, so an entry is delivered once per poll even if reported again.
                deliverDeferred(ready);
                if (ready.size() > 0) {
                    return;
                }
                throwIfInterrupted(self);
                if (timeoutNanos == 0 || (timeoutNanos > 0 && deadline - System.nanoTime() <= 0)) {
                    return;
                }
                // Woken by a registration change, a close or a spurious return: select again.
            }
        } finally {
            out = null;
            polling.set(false);
            dropDeferredIfClosed();
        }
    }

    private void onSelected(SelectionKey key) {
        KeyNode n = (KeyNode) key.attachment();
        n.state.selected(n);
    }

    /**
     * Delivers {@code n}'s readiness now if nothing older waits and there is room (and a poll is
     * filling a list); otherwise queues it behind what waits (or merges it into its queued entry).
     * Poll thread only.
     */
    void offer(ReadyNode n, int bits) {
        if (n.queued) {
            n.pending |= bits;
        } else if (head == null && out != null && !out.isFull()) {
            n.deliver(bits, out);
        } else {
            n.queued = true;
            n.pending = bits;
            if (tail == null) {
                head = n;
            } else {
                tail.next = n;
            }
            tail = n;
        }
    }

    /**
     * Between polls, on the thread that polls: lets the JDK apply the deregistrations it queued now
     * rather than at the next select. A channel closed while registered is only really closed
     * then, and a listening socket keeps taking connections meanwhile, which the kernel resets when
     * it does close. Readiness this select finds waits in the deferred queue for the next poll, as
     * readiness that did not fit does. Any other thread, or during a poll: nothing.
     */
    void applyCancelledKeys() {
        if (Thread.currentThread() != owner || !polling.compareAndSet(false, true)) {
            return;
        }
        try {
            selector.selectNow(onSelected);
        } catch (IOException | ClosedSelectorException e) {
            // The next poll meets it and reports it.
        } finally {
            polling.set(false);
        }
    }

    private void deliverDeferred(ReadyList ready) {
        ReadyNode n;
        while ((n = head) != null && !ready.isFull()) {
            int bits = unlinkHead(n);
            n.deliver(bits, ready);
        }
    }

    private int unlinkHead(ReadyNode n) {
        head = n.next;
        if (head == null) {
            tail = null;
        }
        n.next = null;
        n.queued = false;
        int bits = n.pending;
        n.pending = 0;
        return bits;
    }

    /**
     * Once closed, nothing is delivered: let the queue go. Called by close and by a poll ending,
     * after each has made its own change visible, so one of them sees both and takes the queue.
     */
    private void dropDeferredIfClosed() {
        if (!selector.isOpen() && polling.compareAndSet(false, true)) {
            try {
                while (head != null) {
                    unlinkHead(head);
                }
            } finally {
                polling.set(false);
            }
        }
    }

    private static void throwIfInterrupted(Thread self) throws InterruptedIOException {
        if (self.isInterrupted()) {
            throw new InterruptedIOException("poll interrupted (the thread's interrupt status is kept)");
        }
    }

    private static long ceilMillis(long nanos) {
        long millis = nanos / 1_000_000;
        return nanos % 1_000_000 == 0 ? millis : millis + 1;
    }

    /**
     * Makes a change made by this thread visible to a select in progress on another thread. Call it
     * after making the change. With no poll in progress nothing is needed: the next select applies
     * queued changes (and checks wakers) before it blocks. The polling thread itself never needs
     * it. Skipping needless wake-ups saves a syscall and keeps the selector's wake-up descriptor
     * from taking one of the slots of the next select.
     */
    public void wakeIfOtherThread() {
        if (polling.get() && Thread.currentThread() != owner) {
            selector.wakeup();
        }
    }

    @Override
    public synchronized int addWaker(Token token) {
        ensureOpen();
        WakeFlag flag = new WakeFlag(token);
        WakeFlag[] grown = Arrays.copyOf(wakers, wakers.length + 1);
        grown[grown.length - 1] = flag;
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

    private void collectWakers() {
        if (!wakePending) {
            return;
        }
        // Cleared before the flags are read: a wake racing with this sets it again. A raised flag
        // that does not fit is queued like a key, and stays raised until delivered.
        wakePending = false;
        for (WakeFlag flag : wakers) {
            if (flag.isRaised()) {
                offer(flag, Readiness.READABLE);
            }
        }
    }

    @Override
    public void close() throws IOException {
        selector.close();
        dropDeferredIfClosed();
    }
}
