package io.verypoll.internal;

import static io.verypoll.internal.StateWord.CONNECTING;
import static io.verypoll.internal.StateWord.armedOps;
import static io.verypoll.internal.StateWord.connected;
import static io.verypoll.internal.StateWord.connecting;
import static io.verypoll.internal.StateWord.keyOps;
import static io.verypoll.internal.StateWord.registered;
import static io.verypoll.internal.StateWord.registeredOps;
import static io.verypoll.internal.StateWord.registration;
import static io.verypoll.internal.StateWord.unregistered;

import io.verypoll.Interest;
import io.verypoll.spi.IoSource;
import io.verypoll.Token;
import io.verypoll.spi.Poller;
import io.verypoll.spi.Readiness;
import io.verypoll.spi.ReadyList;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.Objects;

/**
 * Registration and readiness state of one channel: the internal half of every source. Each of
 * its selection keys has a {@link KeyNode} as attachment.
 *
 * <p><b>Edge semantics on a level-triggered selector.</b> The armed operations are the directions
 * owed an event. Delivering an event clears them there only (no syscall, no key update); the key's
 * interest set is narrowed only if the selector reports a direction again while it is still
 * unarmed, which is exactly the case that would otherwise spin. A direction is re-armed when I/O in
 * that direction would block, or by {@code reregister}. A caller who drains until would-block thus
 * never touches the key at all, and one who does not drain costs one extra internal wake-up.
 *
 * <p><b>One state word.</b> Registration, connect status, registered and armed operations live in
 * one atomic {@code long} ({@link StateWord}), so they always change together. The interest the
 * current key must have is a function of that word ({@link StateWord#keyOps}): none unless
 * registered; exactly {@code OP_CONNECT} while connecting; otherwise every armed operation, plus
 * possibly registered ones no longer armed (the lazy disarm above). Any other key of the channel
 * (parked in another Poll) must have none.
 *
 * <p><b>Threads.</b> Registration changes and the end of a connect are serialised on this object
 * and write the word outright; arming (any thread) and disarming (the poll thread) are lock-free
 * compare-and-set loops that give up unless the source is registered and not connecting, so
 * nothing can arm a deregistered source. Whoever changes the word so that a key may need more or
 * less interest, and whoever finds a key that looks wrong, then runs {@link #converge}: write the
 * key's interest from the word, re-read the word, repeat until it did not change. So the last
 * writer of a key always worked from the latest word. A registration is published (node, token,
 * then the word) before its key gets any interest, so a concurrent poll never acts on a half-made
 * registration.
 */
public final class ChannelState {
    private static final VarHandle STATE;
    private static final VarHandle HINTS;
    private static final VarHandle ERROR;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            STATE = lookup.findVarHandle(ChannelState.class, "state", long.class);
            HINTS = lookup.findVarHandle(ChannelState.class, "hints", int.class);
            ERROR = lookup.findVarHandle(ChannelState.class, "error", IOException.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final SelectableChannel channel;
    /** The channel as a socket, when it is one: it may have a connect to finish. */
    private final SocketChannel socket;
    /** The NIO operations behind READABLE (read or accept) and WRITABLE, as this channel supports them. */
    private final int readOp;
    private final int writeOp;

    /** The state word; locked writers set it, lock-free ones compare-and-set it (see above). */
    private volatile long state;
    /**
     * The key of the latest registration, kept (with no interest) after deregistration for reuse;
     * written before the state word that publishes it.
     */
    private volatile KeyNode current;
    /**
     * Every key of this channel in an open selector: a source moved to another Poll keeps a parked
     * key in the old one, and the JDK frees the fd on close only after each of them has selected,
     * so close wakes them all. Guarded by this.
     */
    private KeyNode[] nodes = {};
    private volatile Token token;
    @SuppressWarnings("unused") // accessed through HINTS
    private volatile int hints;
    @SuppressWarnings("unused") // accessed through ERROR
    private volatile IOException error;

    public ChannelState(SelectableChannel channel) {
        this.channel = Objects.requireNonNull(channel, "channel");
        this.socket = channel instanceof SocketChannel ? (SocketChannel) channel : null;
        this.state = socket != null && socket.isConnectionPending() ? CONNECTING : 0;
        int valid = channel.validOps();
        this.readOp = valid & (SelectionKey.OP_READ | SelectionKey.OP_ACCEPT);
        this.writeOp = valid & SelectionKey.OP_WRITE;
    }

    public SelectableChannel channel() {
        return channel;
    }

    /**
     * Brings {@code n}'s interest in line with the state word: {@link StateWord#keyOps} for the
     * current key, none for any other. {@code drop} names operations to remove unless armed (they
     * fired unarmed). Loops until the word did not change during its write, so a concurrent change
     * is either seen here or made after this write, and then converged by its maker.
     *
     * @return true if the key's interest set was written
     */
    private boolean converge(KeyNode n, int drop) {
        boolean changed = false;
        try {
            for (;;) {
                long s = state;
                int had = n.key.interestOps();
                int wanted = n == current ? keyOps(s, had & ~drop) : 0;
                if (wanted != had) {
                    n.key.interestOps(wanted);
                    changed = true;
                }
                if (state == s) {
                    return changed;
                }
            }
        } catch (CancelledKeyException | ClosedSelectorException e) {
            return changed; // closed concurrently (the source, the poll, or a failed connect): nothing left to watch
        }
    }

    // ---- registration ----------------------------------------------------------------------

    public synchronized void register(Poller poller, Token token, Interest interests) throws IOException {
        EdgeSelector sel = checkArguments(poller, token, interests);
        long s = state;
        if (registered(s) && current.selector.isOpen()) {
            throw new IllegalStateException("source is already registered (with this or another Poll); deregister it first");
        }
        KeyNode n = nodeFor(sel);
        this.token = token;
        current = n;
        state = registration(s, ops(interests));
        converge(n, 0);
        sel.wakeIfOtherThread();
    }

    /** The key of this channel in {@code sel}: the parked one, or a new one with no interest yet. */
    private KeyNode nodeFor(EdgeSelector sel) throws ClosedChannelException {
        SelectionKey k = channel.keyFor(sel.selector());
        if (k != null && k.isValid()) {
            return (KeyNode) k.attachment();
        }
        // Interest 0 until the registration is published, so no poll selects it before it is attached.
        k = channel.register(sel.selector(), 0);
        KeyNode n = new KeyNode(this, sel, k);
        k.attach(n);
        // Keys of closed polls are cancelled: no need to wake those on close.
        KeyNode[] open = Arrays.stream(nodes).filter(old -> old.selector.isOpen()).toArray(KeyNode[]::new);
        nodes = Arrays.copyOf(open, open.length + 1);
        nodes[open.length] = n;
        return n;
    }

    public synchronized void reregister(Poller poller, Token token, Interest interests) throws IOException {
        EdgeSelector sel = checkArguments(poller, token, interests);
        KeyNode n = requireRegisteredWith(sel);
        this.token = token;
        state = registration(state, ops(interests));
        converge(n, 0);
        sel.wakeIfOtherThread();
    }

    public synchronized void deregister(Poller poller) throws IOException {
        EdgeSelector sel = openSelectorOf(poller);
        KeyNode n = requireRegisteredWith(sel);
        state = unregistered(state);
        // Parked, not cancelled: the JDK drops a key with no interest from epoll, and a cancelled
        // key would make a quick re-register fail until the next select.
        converge(n, 0);
    }

    private EdgeSelector checkArguments(Poller poller, Token token, Interest interests) throws ClosedChannelException {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(interests, "interests");
        if (interests.isPriority()) {
            throw IoSource.needsEpoll("Interest.PRIORITY", "a JDK selector cannot watch for priority (out-of-band) data");
        }
        return openSelectorOf(poller);
    }

    /** The poller as this backend's selector, once both it and this channel are known to be open. */
    private EdgeSelector openSelectorOf(Poller poller) throws ClosedChannelException {
        EdgeSelector sel = EdgeSelector.of(poller);
        if (!channel.isOpen()) {
            throw new ClosedChannelException();
        }
        sel.ensureOpen();
        return sel;
    }

    private KeyNode requireRegisteredWith(EdgeSelector sel) {
        KeyNode n = current;
        if (!registered(state) || n.selector != sel) {
            throw new IllegalStateException("source is not registered with this Poll");
        }
        return n;
    }

    private int ops(Interest interests) {
        return (interests.isReadable() ? readOp : 0) | (interests.isWritable() ? writeOp : 0);
    }

    // ---- the event path (poll thread) --------------------------------------------------------

    /** The selector reported {@code n}'s key: offer what is owed to the poll. */
    void selected(KeyNode n) {
        int ready;
        try {
            ready = n.key.readyOps();
        } catch (CancelledKeyException e) {
            return;
        }
        long s = state;
        if (n != current || !registered(s)) {
            // Deregistered, or a parked key of a source registered elsewhere: silence it. A
            // registration racing this is seen by converge, or converges the key itself after.
            converge(n, 0);
            return;
        }
        if (connecting(s)) {
            if ((ready & SelectionKey.OP_CONNECT) != 0) {
                finishConnect(n);
            }
            return;
        }
        int armed = armedOps(s);
        if ((ready & ~armed) != 0) {
            converge(n, ready & ~armed);
        }
        if ((ready & armed) != 0) {
            n.selector.offer(n, ready & armed);
        }
    }

    /**
     * Adds the event owed for {@code ready} to {@code out}, disarming what it reports: now, so a
     * deferred entry of a source deregistered, moved or closed meanwhile gives nothing.
     */
    void deliver(KeyNode n, int ready, ReadyList out) {
        for (;;) {
            long s = state;
            int owed = ready & armedOps(s);
            if (owed == 0 || !registered(s) || connecting(s) || n != current) {
                return;
            }
            if (STATE.compareAndSet(this, s, s & ~owed)) {
                out.add(token, directions(owed) | hints);
                return;
            }
        }
    }

    private int directions(int ops) {
        return ((ops & readOp) != 0 ? Readiness.READABLE : 0) | ((ops & writeOp) != 0 ? Readiness.WRITABLE : 0);
    }

    /** Every registered direction is armed once the connect is over; the writable is owed now. */
    private void finishConnect(KeyNode n) {
        int owed;
        try {
            if (!socket.finishConnect()) {
                return;
            }
            synchronized (this) {
                long s = state;
                if (!connecting(s)) {
                    return; // finished by an I/O call meanwhile
                }
                state = connected(s);
                owed = registeredOps(s) & writeOp;
            }
        } catch (IOException e) {
            // The JDK has closed the channel; keep the cause for takeError().
            synchronized (this) {
                long s = state;
                state = connected(s);
                owed = registeredOps(s);
            }
            ERROR.setVolatile(this, e);
            learned(Readiness.ERROR | Readiness.WRITE_CLOSED);
        }
        if (owed != 0) {
            n.selector.offer(n, owed);
        }
        // After the offer: a writable delivered at once is disarmed, and the key need not watch it.
        converge(n, 0);
    }

    // ---- the I/O side (any thread) -----------------------------------------------------------

    /**
     * For I/O on a socket: true while its connect is still in progress (the I/O would block). Tries
     * to finish the connect, so a stream that is not registered gets connected too.
     *
     * @throws IOException the connect failed
     */
    public boolean stillConnecting() throws IOException {
        if (!connecting(state)) {
            return false;
        }
        try {
            if (!socket.finishConnect()) {
                return true;
            }
        } catch (IOException e) {
            synchronized (this) {
                state = state & ~CONNECTING;
            }
            throw failed(e);
        }
        connectedOutsidePoll();
        return false;
    }

    /** The connect finished on an I/O call: watch the registered interests instead of the connect. */
    private synchronized void connectedOutsidePoll() {
        long s = state;
        if (!connecting(s)) {
            return; // the poll got there first
        }
        state = connected(s);
        KeyNode n = current;
        if (registered(s) && converge(n, 0)) {
            n.selector.wakeIfOtherThread();
        }
    }

    /** The directions (as {@link Interest}) that would block: watch them again. */
    public void wouldBlock(Interest directions) {
        Objects.requireNonNull(directions, "direction");
        rearm(ops(directions));
    }

    /**
     * Call after a read or accept with its result. Re-arms reading on 0 (would block, whatever the
     * cause: a buffer with no room returns 0 too, and the caller then waits for an event) and on a
     * short read, which drained what the socket had. A short read may stop there: on this
     * level-triggered selector, bytes that arrive later (or were still queued) are reported by the
     * next poll, so nothing is missed, and the read that would only return 0 is saved. A negative
     * result is end of stream.
     */
    public long afterRead(long n, boolean roomLeft) {
        if (n < 0) {
            learned(Readiness.READ_CLOSED);
        } else if (n == 0 || roomLeft) {
            rearm(readOp);
        }
        return n;
    }

    /**
     * Call after a write with its result. Re-arms writing on 0 (would block, even when there was
     * nothing to write: a spurious event is allowed, a lost one is not) and when data is left over
     * (a partial write, which filled the socket's send buffer).
     */
    public long afterWrite(long n, boolean dataLeft) {
        if (n == 0 || dataLeft) {
            rearm(writeOp);
        }
        return n;
    }

    /** Records what an I/O failure teaches (reset: both directions closed) and returns it. */
    public IOException failed(IOException e) {
        if (!(e instanceof ClosedChannelException)) {
            learned(Readiness.BROKEN);
        }
        return e;
    }

    public void learned(int hintBits) {
        HINTS.getAndBitwiseOr(this, hintBits);
    }

    public IOException takeError() {
        return (IOException) ERROR.getAndSet(this, (IOException) null);
    }

    /**
     * Arms {@code ops} if the source is registered for them and not connecting (the end of a
     * connect arms everything), then makes the key watch them.
     */
    private void rearm(int ops) {
        for (;;) {
            long s = state;
            int added = ops & registeredOps(s) & ~armedOps(s);
            if (added == 0 || !registered(s) || connecting(s)) {
                return; // the common already-armed path costs one volatile read, no atomic
            }
            if (STATE.compareAndSet(this, s, s | added)) {
                break;
            }
        }
        // Read after arming: the registration armed, or a later one (which converges itself).
        KeyNode n = current;
        if (converge(n, 0)) {
            n.selector.wakeIfOtherThread();
        }
    }

    /**
     * Closes the channel. The JDK releases the descriptor of a registered channel at the next select of
     * each selector holding a key: selectors polling on other threads are woken for it, and for a
     * listener the caller's own selector (between polls) selects at once.
     */
    public void close() throws IOException {
        KeyNode[] keys;
        synchronized (this) {
            state = unregistered(state);
            keys = nodes;
        }
        channel.close();
        for (KeyNode n : keys) {
            if (n.selector.isOpen()) {
                n.selector.wakeIfOtherThread();
                if (channel instanceof ServerSocketChannel) {
                    // A listener closed between polls on its poll thread closes now: what the kernel
                    // queues on it until the next select would be reset (a stream socket needs no hurry).
                    n.selector.applyCancelledKeys();
                }
            }
        }
    }
}
