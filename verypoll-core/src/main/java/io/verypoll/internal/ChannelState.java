package io.verypoll.internal;

import io.verypoll.Interest;
import io.verypoll.Registry;
import io.verypoll.Token;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.Objects;

/**
 * Registration and readiness state of one channel, attached to its {@link SelectionKey}: the
 * internal half of every source.
 *
 * <p><b>Edge semantics on a level-triggered selector.</b> {@code armed} holds the directions owed
 * an event. Reporting a direction clears it there only (no syscall, no key update); the key's
 * interest set is narrowed only if the selector reports that direction again while it is still
 * unarmed, which is exactly the case that would otherwise spin. A direction is re-armed when I/O in
 * that direction would block, or by {@code reregister}. A caller who drains until would-block thus
 * never touches the key at all, and one who does not drain costs one extra internal wake-up.
 *
 * <p><b>Threads.</b> Registration changes are serialised on this object. The event path (poll
 * thread) and re-arming (any thread) are lock-free: the only writer that narrows the key's interest
 * set is the poll thread, and every writer ends by checking that the key still covers {@code
 * armed}, so concurrent writers converge.
 */
public final class ChannelState {
    private static final VarHandle ARMED;
    private static final VarHandle HINTS;
    private static final VarHandle ERROR;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            ARMED = lookup.findVarHandle(ChannelState.class, "armed", int.class);
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

    /** The selector this channel is registered with; null when not registered. */
    private volatile EdgeSelector selector;
    /** The key of the last registration; kept (with no interest) after deregistration for reuse. */
    private volatile SelectionKey key;
    /**
     * Every selector holding a key of this channel: a source moved to another Poll keeps a parked
     * key in the old one, and the JDK frees the fd on close only after each of them has selected,
     * so close wakes them all. Grows only when registering with a new Poll; guarded by this.
     */
    private EdgeSelector[] keySelectors = {};
    private volatile Token token;
    private volatile int registeredOps;
    @SuppressWarnings("unused") // accessed through ARMED
    private volatile int armed;
    @SuppressWarnings("unused") // accessed through HINTS
    private volatile int hints;
    private volatile boolean connecting;
    @SuppressWarnings("unused") // accessed through ERROR
    private volatile IOException error;

    public ChannelState(SelectableChannel channel) {
        this.channel = Objects.requireNonNull(channel, "channel");
        this.socket = channel instanceof SocketChannel ? (SocketChannel) channel : null;
        this.connecting = socket != null && socket.isConnectionPending();
        int valid = channel.validOps();
        this.readOp = valid & (SelectionKey.OP_READ | SelectionKey.OP_ACCEPT);
        this.writeOp = valid & SelectionKey.OP_WRITE;
    }

    public SelectableChannel channel() {
        return channel;
    }

    // ---- registration ----------------------------------------------------------------------

    public synchronized void register(Registry registry, Token token, Interest interests) throws IOException {
        EdgeSelector sel = checkArguments(registry, token, interests);
        EdgeSelector current = selector;
        if (current != null && current.isOpen()) {
            throw new IllegalStateException("source is already registered (with this or another Poll); deregister it first");
        }
        int ops = ops(interests);
        this.token = token;
        registeredOps = ops;
        armed = ops;
        int keyOps = connecting ? SelectionKey.OP_CONNECT : ops;
        SelectionKey k = channel.keyFor(sel.selector());
        if (k != null && k.isValid()) {
            k.attach(this);
            setKeyOps(k, keyOps);
        } else {
            k = channel.register(sel.selector(), keyOps, this);
            if (!Arrays.asList(keySelectors).contains(sel)) {
                keySelectors = Arrays.copyOf(keySelectors, keySelectors.length + 1);
                keySelectors[keySelectors.length - 1] = sel;
            }
        }
        key = k;
        selector = sel;
        sel.wakeIfOtherThread();
    }

    public synchronized void reregister(Registry registry, Token token, Interest interests) throws IOException {
        EdgeSelector sel = checkArguments(registry, token, interests);
        requireRegisteredWith(sel);
        int ops = ops(interests);
        this.token = token;
        registeredOps = ops;
        armed = ops;
        setKeyOps(key, connecting ? SelectionKey.OP_CONNECT : ops);
        sel.wakeIfOtherThread();
    }

    public synchronized void deregister(Registry registry) throws IOException {
        EdgeSelector sel = openSelectorOf(registry);
        requireRegisteredWith(sel);
        selector = null;
        armed = 0;
        registeredOps = 0;
        // Parked, not cancelled: the JDK drops a key with no interest from epoll, and a cancelled
        // key would make a quick re-register fail until the next select.
        setKeyOps(key, 0);
    }

    private EdgeSelector checkArguments(Registry registry, Token token, Interest interests) throws ClosedChannelException {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(interests, "interests");
        return openSelectorOf(registry);
    }

    /** The registry's selector, once both it and this channel are known to be open. */
    private EdgeSelector openSelectorOf(Registry registry) throws ClosedChannelException {
        EdgeSelector sel = RegistryAccess.selectorOf(registry);
        if (!channel.isOpen()) {
            throw new ClosedChannelException();
        }
        sel.ensureOpen();
        return sel;
    }

    private void requireRegisteredWith(EdgeSelector sel) {
        if (selector != sel) {
            throw new IllegalStateException("source is not registered with this Poll");
        }
    }

    private int ops(Interest interests) {
        return (interests.isReadable() ? readOp : 0) | (interests.isWritable() ? writeOp : 0);
    }

    private static void setKeyOps(SelectionKey k, int ops) {
        try {
            k.interestOps(ops);
        } catch (CancelledKeyException | ClosedSelectorException e) {
            // Closed concurrently (the source, the poll, or a failed connect): nothing left to watch.
        }
    }

    // ---- the event path (poll thread) --------------------------------------------------------

    void selected(SelectionKey k, ReadyList out) {
        if (out.isFull()) {
            return; // still armed: the level-triggered selector reports it again next poll
        }
        int ready;
        try {
            ready = k.readyOps();
        } catch (CancelledKeyException e) {
            return;
        }
        if (k != key || selector == null) {
            setKeyOps(k, 0); // deregistered (or re-registered elsewhere) while selecting
            return;
        }
        if (connecting) {
            if ((ready & SelectionKey.OP_CONNECT) != 0) {
                finishConnect(k, out);
            }
            return;
        }
        int owed = ready & armed;
        int unarmed = ready & ~owed;
        if (unarmed != 0) {
            narrowKey(k, unarmed);
        }
        if (owed == 0) {
            return;
        }
        ARMED.getAndBitwiseAnd(this, ~owed);
        out.add(token, directions(owed) | hints);
    }

    private int directions(int ops) {
        return ((ops & readOp) != 0 ? Readiness.READABLE : 0) | ((ops & writeOp) != 0 ? Readiness.WRITABLE : 0);
    }

    /** Stops watching directions that fired while nobody was owed an event: they would spin. */
    private void narrowKey(SelectionKey k, int unarmed) {
        try {
            int current = k.interestOps();
            k.interestOps((current & ~unarmed) | armed);
            coverArmed(k);
        } catch (CancelledKeyException | ClosedSelectorException e) {
            // closed concurrently
        }
    }

    /**
     * Makes sure the key watches every armed direction (another thread may re-arm concurrently).
     *
     * @return true if the key's interest set had to change
     */
    private boolean coverArmed(SelectionKey k) {
        boolean changed = false;
        for (;;) {
            int wanted = armed;
            int current = k.interestOps();
            if ((current & wanted) == wanted) {
                return changed;
            }
            k.interestOps(current | wanted);
            changed = true;
        }
    }

    private void finishConnect(SelectionKey k, ReadyList out) {
        int ops = registeredOps;
        int reported = ops & writeOp;
        int bits;
        try {
            if (!socket.finishConnect()) {
                return;
            }
            synchronized (this) {
                if (!connecting) {
                    return; // finished by an I/O call meanwhile
                }
                connecting = false;
                armed = ops & ~reported;
                setKeyOps(k, ops & ~reported);
            }
            bits = directions(reported);
        } catch (IOException e) {
            // The JDK has closed the channel; keep the cause for takeError().
            connecting = false;
            armed = 0;
            ERROR.setVolatile(this, e);
            learned(Readiness.ERROR | Readiness.WRITE_CLOSED);
            bits = directions(ops);
        }
        if (bits != 0) {
            out.add(token, bits | hints);
        }
    }

    // ---- the I/O side (any thread) -----------------------------------------------------------

    /**
     * For I/O on a socket: true while its connect is still in progress (the I/O would block). Tries
     * to finish the connect, so a stream that is not registered gets connected too.
     *
     * @throws IOException the connect failed
     */
    public boolean stillConnecting() throws IOException {
        if (!connecting) {
            return false;
        }
        try {
            if (!socket.finishConnect()) {
                return true;
            }
        } catch (IOException e) {
            connecting = false;
            throw failed(e);
        }
        connectedOutsidePoll();
        return false;
    }

    /** The connect finished on an I/O call: watch the registered interests instead of the connect. */
    private synchronized void connectedOutsidePoll() {
        if (!connecting) {
            return; // the poll got there first
        }
        connecting = false;
        EdgeSelector sel = selector;
        if (sel != null) {
            armed = registeredOps;
            setKeyOps(key, registeredOps);
            sel.wakeIfOtherThread();
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

    private void rearm(int ops) {
        ops &= registeredOps;
        if (ops == 0 || connecting || (armed & ops) == ops) {
            return; // the plain read spares an atomic on the common already-armed path
        }
        int before = (int) ARMED.getAndBitwiseOr(this, ops);
        if ((before & ops) == ops) {
            return;
        }
        SelectionKey k = key;
        EdgeSelector sel = selector;
        if (k == null || sel == null) {
            return;
        }
        try {
            if (coverArmed(k)) {
                sel.wakeIfOtherThread();
            }
        } catch (CancelledKeyException | ClosedSelectorException e) {
            // closed concurrently: a source operation never reports the poll's state
        }
    }

    /** Closes the channel and wakes every selector holding its key, so the fd is released now. */
    public void close() throws IOException {
        EdgeSelector[] sels;
        synchronized (this) {
            selector = null;
            armed = 0;
            sels = keySelectors;
        }
        channel.close();
        for (EdgeSelector sel : sels) {
            if (sel.isOpen()) {
                sel.wakeIfOtherThread();
            }
        }
    }
}
