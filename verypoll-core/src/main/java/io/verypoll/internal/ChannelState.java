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
 * <p><b>Edge semantics on a level-triggered selector.</b> The armed operations are the directions
 * owed an event. Reporting a direction clears it there only (no syscall, no key update); the key's
 * interest set is narrowed only if the selector reports that direction again while it is still
 * unarmed, which is exactly the case that would otherwise spin. A direction is re-armed when I/O in
 * that direction would block, or by {@code reregister}. A caller who drains until would-block thus
 * never touches the key at all, and one who does not drain costs one extra internal wake-up.
 *
 * <p><b>One state word.</b> Registration, connect status and armed operations live in one atomic
 * {@code long} (layout below), so they always change together. The interest the current key must
 * have is a function of that word: none unless registered; exactly {@code OP_CONNECT} while
 * connecting; otherwise every armed operation, plus possibly registered operations that are no
 * longer armed (the lazy disarm above). Any other key of the channel (parked in another Poll) must
 * have none.
 *
 * <p><b>Threads.</b> Registration changes and the end of a connect are serialised on this object
 * and write the word outright; re-arming (any thread) and disarming (the poll thread) are
 * lock-free compare-and-set loops that give up unless the source is registered and not connecting,
 * so they can never arm a deregistered source. Whoever changes the word, and whoever finds a key
 * that looks wrong, then runs {@link #converge}: write the key's interest from the word, re-read
 * the word, repeat until it did not change. So the last writer of a key always worked from the
 * latest word, and a registration is published (key, selector, token, then the word) before its
 * key gets any interest: a concurrent poll never acts on a half-made registration.
 */
public final class ChannelState {
    /** Bits 0-7: the armed NIO operations. */
    private static final long ARMED_MASK = 0xFF;
    /** Bits 8-15: the NIO operations of the registration. */
    private static final int REGISTERED_OPS_SHIFT = 8;
    private static final long REGISTERED = 1L << 16;
    private static final long CONNECTING = 1L << 17;
    /**
     * Bits 18-63 count registration changes, so a compare-and-set that read the word of an earlier
     * registration fails even if the new one looks the same (ABA).
     */
    private static final long GENERATION = 1L << 18;

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
     * The key and selector of the latest registration. The key is kept (with no interest) after
     * deregistration for reuse. Both are written before the state word that publishes them.
     */
    private volatile SelectionKey key;
    private volatile EdgeSelector selector;
    /**
     * Every selector holding a key of this channel: a source moved to another Poll keeps a parked
     * key in the old one, and the JDK frees the fd on close only after each of them has selected,
     * so close wakes them all. Grows only when registering with a new Poll; guarded by this.
     */
    private EdgeSelector[] keySelectors = {};
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

    // ---- the state word ----------------------------------------------------------------------

    private static boolean registered(long s) {
        return (s & REGISTERED) != 0;
    }

    private static boolean connecting(long s) {
        return (s & CONNECTING) != 0;
    }

    private static int armedOps(long s) {
        return (int) (s & ARMED_MASK);
    }

    private static int registeredOps(long s) {
        return (int) (s >>> REGISTERED_OPS_SHIFT) & 0xFF;
    }

    /** A new registration (or none, for ops < 0) after {@code s}, every registered operation armed. */
    private static long nextRegistration(long s, int ops) {
        long next = ((s & -GENERATION) + GENERATION) | (s & CONNECTING);
        return ops < 0 ? next : next | REGISTERED | ((long) ops << REGISTERED_OPS_SHIFT) | ops;
    }

    /**
     * The interest the current key needs in state {@code s}, keeping what it has ({@code current})
     * where that is allowed: registered operations, disarmed lazily.
     */
    private static int keyOps(long s, int current) {
        if (!registered(s)) {
            return 0;
        }
        if (connecting(s)) {
            return SelectionKey.OP_CONNECT;
        }
        return (current & registeredOps(s)) | armedOps(s);
    }

    /**
     * Brings {@code k}'s interest in line with the state word: {@link #keyOps} for the current
     * key, none for any other. {@code drop} names operations to remove if not armed (they fired
     * unarmed). Loops until the word did not change during its write, so a concurrent change is
     * either seen here or made after this write and converged by its maker.
     *
     * @return true if the key's interest set was written
     */
    private boolean converge(SelectionKey k, int drop) {
        boolean changed = false;
        try {
            for (;;) {
                long s = state;
                int current = k.interestOps();
                int wanted = k == key ? keyOps(s, current & ~drop) : 0;
                if (wanted != current) {
                    k.interestOps(wanted);
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

    public synchronized void register(Registry registry, Token token, Interest interests) throws IOException {
        EdgeSelector sel = checkArguments(registry, token, interests);
        long s = state;
        if (registered(s) && selector.isOpen()) {
            throw new IllegalStateException("source is already registered (with this or another Poll); deregister it first");
        }
        SelectionKey k = channel.keyFor(sel.selector());
        if (k == null || !k.isValid()) {
            // No interest yet: the registration below is not published.
            k = channel.register(sel.selector(), 0, this);
            if (!Arrays.asList(keySelectors).contains(sel)) {
                keySelectors = Arrays.copyOf(keySelectors, keySelectors.length + 1);
                keySelectors[keySelectors.length - 1] = sel;
            }
        }
        this.token = token;
        key = k;
        selector = sel;
        state = nextRegistration(s, ops(interests));
        converge(k, 0);
        sel.wakeIfOtherThread();
    }

    public synchronized void reregister(Registry registry, Token token, Interest interests) throws IOException {
        EdgeSelector sel = checkArguments(registry, token, interests);
        requireRegisteredWith(sel);
        this.token = token;
        state = nextRegistration(state, ops(interests));
        converge(key, 0);
        sel.wakeIfOtherThread();
    }

    public synchronized void deregister(Registry registry) throws IOException {
        EdgeSelector sel = openSelectorOf(registry);
        requireRegisteredWith(sel);
        state = nextRegistration(state, -1);
        // Parked, not cancelled: the JDK drops a key with no interest from epoll, and a cancelled
        // key would make a quick re-register fail until the next select.
        converge(key, 0);
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
        if (!registered(state) || selector != sel) {
            throw new IllegalStateException("source is not registered with this Poll");
        }
    }

    private int ops(Interest interests) {
        return (interests.isReadable() ? readOp : 0) | (interests.isWritable() ? writeOp : 0);
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
        long s = state;
        if (k != key || !registered(s)) {
            // Deregistered, or a parked key of a source registered elsewhere: silence it. A
            // registration racing this is seen by converge, or converges the key itself after.
            converge(k, 0);
            return;
        }
        if (connecting(s)) {
            if ((ready & SelectionKey.OP_CONNECT) != 0) {
                finishConnect(k, out);
            }
            return;
        }
        int unarmed = ready & ~armedOps(s);
        if (unarmed != 0) {
            converge(k, unarmed);
        }
        int owed = disarm(k, ready);
        if (owed != 0) {
            out.add(token, directions(owed) | hints);
        }
    }

    /**
     * Clears the armed operations among {@code ready}, if {@code k} is still the key of a
     * registration that is not connecting.
     *
     * @return the operations cleared: those owed an event now
     */
    private int disarm(SelectionKey k, int ready) {
        for (;;) {
            long s = state;
            int owed = ready & armedOps(s);
            if (owed == 0 || !registered(s) || connecting(s) || k != key) {
                return 0;
            }
            if (STATE.compareAndSet(this, s, s & ~owed)) {
                return owed;
            }
        }
    }

    private int directions(int ops) {
        return ((ops & readOp) != 0 ? Readiness.READABLE : 0) | ((ops & writeOp) != 0 ? Readiness.WRITABLE : 0);
    }

    private void finishConnect(SelectionKey k, ReadyList out) {
        int bits;
        try {
            if (!socket.finishConnect()) {
                return;
            }
            synchronized (this) {
                long s = state;
                if (!connecting(s)) {
                    return; // finished by an I/O call meanwhile
                }
                // The writable is reported now, so it is not armed; the rest is.
                int ops = registeredOps(s);
                int reported = ops & writeOp;
                state = (s & ~(CONNECTING | ARMED_MASK)) | (ops & ~reported);
                converge(k, 0);
                bits = directions(reported);
            }
        } catch (IOException e) {
            // The JDK has closed the channel; keep the cause for takeError().
            int ops;
            synchronized (this) {
                long s = state;
                state = s & ~(CONNECTING | ARMED_MASK);
                ops = registeredOps(s);
            }
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
        if (!connecting(state)) {
            return false;
        }
        try {
            if (!socket.finishConnect()) {
                return true;
            }
        } catch (IOException e) {
            synchronized (this) {
                state &= ~CONNECTING;
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
        if (!registered(s)) {
            state = s & ~CONNECTING;
            return;
        }
        state = (s & ~(CONNECTING | ARMED_MASK)) | registeredOps(s);
        if (converge(key, 0)) {
            selector.wakeIfOtherThread();
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
        SelectionKey k = key;
        EdgeSelector sel = selector;
        if (converge(k, 0)) {
            sel.wakeIfOtherThread();
        }
    }

    /** Closes the channel and wakes every selector holding its key, so the fd is released now. */
    public void close() throws IOException {
        EdgeSelector[] sels;
        synchronized (this) {
            state = nextRegistration(state, -1);
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
