package io.verypoll.epoll;

import static io.verypoll.epoll.EdgeWord.armed;
import static io.verypoll.epoll.EdgeWord.connecting;
import static io.verypoll.epoll.EdgeWord.delivered;
import static io.verypoll.epoll.EdgeWord.directions;
import static io.verypoll.epoll.EdgeWord.kernelEvents;
import static io.verypoll.epoll.EdgeWord.missedAny;
import static io.verypoll.epoll.EdgeWord.priority;
import static io.verypoll.epoll.EdgeWord.registered;
import static io.verypoll.epoll.EdgeWord.registration;
import static io.verypoll.epoll.EdgeWord.rearmed;
import static io.verypoll.epoll.EdgeWord.unregistered;
import static io.verypoll.epoll.EdgeWord.want;

import io.verypoll.Interest;
import io.verypoll.Token;
import io.verypoll.net.Shutdown;
import io.verypoll.spi.IoSource;
import io.verypoll.spi.Poller;
import io.verypoll.spi.Readiness;
import io.verypoll.spi.ReadyList;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.MembershipKey;
import java.nio.channels.SelectableChannel;
import java.util.Objects;

/**
 * A descriptor registered with an {@link EpollPoller}: the registration and the edge state shared
 * by every kind of source. Subclasses add the I/O.
 *
 * <p><b>Edges, per direction.</b> The kernel registration is edge-triggered ({@code EPOLLET}),
 * with {@code epoll_data} naming the registration's slot in the poller. The core's contract is
 * stricter than raw edges: once a direction was reported, it stays silent until I/O in that
 * direction would block (or a reregister), even if more edges come. So the state word keeps, per
 * direction, whether it is <em>armed</em> (owed an event) and whether an edge was <em>missed</em>
 * while it was not. An event delivers what is armed and disarms it; a missed edge is remembered.
 * Re-arming after would-block costs nothing unless an edge was missed meanwhile: then the data may
 * be there with no edge to come, and {@code EPOLL_CTL_MOD} asks the kernel to report the
 * descriptor again if it is ready.
 *
 * <p><b>One state word</b> ({@link #state}, laid out in {@link EdgeWord}): armed and missed
 * directions, the registration, a connect in progress, and a generation bumped by every
 * registration change so that a compare-and-set based on an older registration fails. Registration
 * changes are serialised on this object; arming (any thread) and delivering (the poll thread) are
 * lock-free.
 */
abstract class EpollSource implements IoSource {
    static final int R = EdgeWord.R;
    static final int W = EdgeWord.W;
    static final long NO_KEY = -1;

    private static final VarHandle STATE;
    private static final VarHandle HINTS;
    private static final VarHandle ERROR;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            STATE = lookup.findVarHandle(EpollSource.class, "state", long.class);
            HINTS = lookup.findVarHandle(EpollSource.class, "hints", int.class);
            ERROR = lookup.findVarHandle(EpollSource.class, "error", IOException.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Fd fd;
    /** AF_INET, AF_INET6, AF_UNIX; 0 for pipes and watched descriptors. */
    final int family;

    volatile long state;
    /** The poller of the latest registration, and the registration's slot key in it. */
    private volatile EpollPoller poller;
    private volatile long key = NO_KEY;
    private volatile Token token;
    /** What was learned from I/O: readiness hint bits, kept for every later event. */
    @SuppressWarnings("unused") // through HINTS
    private volatile int hints;
    @SuppressWarnings("unused") // through ERROR
    private volatile IOException error;
    /** The kernel's hints delivered so far: a new one is owed an event. Written by the poll thread. */
    private volatile int reportedHints;

    EpollSource(Fd fd, int family, boolean connecting) {
        this.fd = fd;
        this.family = family;
        this.state = EdgeWord.initial(connecting);
    }

    // ---- registration (any thread) -----------------------------------------------------------

    @Override
    public synchronized void register(Poller poller, Token token, Interest interests) throws IOException {
        EpollPoller p = checkArguments(poller, token, interests);
        long s = state;
        if (registered(s) && this.poller.isOpen()) {
            throw new IllegalStateException("source is already registered (with this or another Poll); deregister it first");
        }
        long k = p.attach(this);
        this.token = token;
        this.poller = p;
        // The key before the state word: the poll thread checks the key after reading the word.
        this.key = k;
        long ns = registration(s, interests);
        state = ns;
        try {
            p.control(Libc.EPOLL_CTL_ADD, fd, kernelEvents(ns), k);
        } catch (IOException | RuntimeException e) {
            state = unregistered(ns);
            this.key = NO_KEY;
            p.detach(k);
            throw e;
        }
    }

    @Override
    public synchronized void reregister(Poller poller, Token token, Interest interests) throws IOException {
        EpollPoller p = checkArguments(poller, token, interests);
        requireRegisteredWith(p);
        this.token = token;
        long ns = registration(state, interests);
        state = ns;
        // MOD also reports the descriptor again if it is ready: reregister re-arms for real.
        p.control(Libc.EPOLL_CTL_MOD, fd, kernelEvents(ns), key);
    }

    @Override
    public synchronized void deregister(Poller poller) throws IOException {
        EpollPoller p = EpollPoller.of(poller);
        checkOpen(p);
        requireRegisteredWith(p);
        unregister();
    }

    /** Drops the current registration (if any) from its poller. Holds the lock. */
    private void unregister() {
        long s = state;
        state = unregistered(s);
        if (!registered(s)) {
            return;
        }
        long k = key;
        key = NO_KEY;
        EpollPoller p = poller;
        p.controlQuietly(Libc.EPOLL_CTL_DEL, fd, 0, k);
        p.detach(k);
    }

    private EpollPoller checkArguments(Poller poller, Token token, Interest interests) throws ClosedChannelException {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(interests, "interests");
        EpollPoller p = EpollPoller.of(poller);
        checkOpen(p);
        return p;
    }

    private void checkOpen(EpollPoller p) throws ClosedChannelException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
        p.ensureOpen();
    }

    private void requireRegisteredWith(EpollPoller p) {
        if (!registered(state) || poller != p) {
            throw new IllegalStateException("source is not registered with this Poll");
        }
    }

    // ---- events (the poll thread) ------------------------------------------------------------

    /**
     * The kernel reported {@code events} for slot key {@code k}: add what is owed to {@code out}.
     * A stale key (deregistered, closed, moved meanwhile) gives nothing. A hang-up or error not
     * reported before is owed even to a direction not drained yet: it comes once (no spin), and it
     * is what NIO cannot tell (a reset of an undrained socket, say).
     */
    final void onEvent(long k, int events, ReadyList out) {
        if (connecting(state) && !connectDone()) {
            return;
        }
        int ready = 0;
        if ((events & (Libc.EPOLLIN | Libc.EPOLLRDHUP | Libc.EPOLLERR | Libc.EPOLLHUP)) != 0) {
            ready = R;
        }
        if ((events & (Libc.EPOLLOUT | Libc.EPOLLERR | Libc.EPOLLHUP)) != 0) {
            ready |= W;
        }
        int kernel = kernelHints(events);
        boolean fresh = (kernel & ~reportedHints) != 0;
        for (;;) {
            long s = state;
            // Read after the word: a registration writes its key before its word (see register).
            if (key != k || !registered(s) || connecting(s)) {
                return;
            }
            int dirs = ready & want(s);
            int owed = fresh ? dirs : dirs & armed(s);
            int priority = (events & Libc.EPOLLPRI) != 0 && priority(s) ? Readiness.PRIORITY : 0;
            long ns = delivered(s, dirs, owed);
            if (owed == 0 && priority == 0 && ns == s) {
                return;
            }
            if (ns == s || STATE.weakCompareAndSet(this, s, ns)) {
                if (owed != 0 || priority != 0) {
                    reportedHints |= kernel;
                    out.add(token, owed | priority | kernel | hints);
                }
                return;
            }
        }
    }

    /** The hints the kernel gives with an event: exact, unlike NIO's. Pipes override it. */
    int kernelHints(int events) {
        int h = 0;
        if ((events & Libc.EPOLLERR) != 0) {
            h |= Readiness.ERROR;
        }
        if ((events & Libc.EPOLLHUP) != 0) {
            h |= Readiness.READ_CLOSED | Readiness.WRITE_CLOSED;
        }
        if ((events & Libc.EPOLLRDHUP) != 0) {
            h |= Readiness.READ_CLOSED;
        }
        return h;
    }

    /**
     * For an event of a connecting socket: true once the connect is over (done now, failed, or
     * done by an I/O call meanwhile). Streams override it.
     */
    boolean connectDone() {
        return true;
    }

    // ---- arming (any thread) -----------------------------------------------------------------

    /** I/O in {@code dirs} would block: arm them, and have the kernel report again what it may have reported meanwhile. */
    final void rearm(int dirs) {
        rearm(dirs, false);
    }

    /**
     * Arms {@code dirs}. With {@code recheck}, the kernel is asked for the current state even if
     * no edge was missed: for I/O that could not tell whether it would block (an empty write, a
     * read into a full buffer), where NIO's level-triggered selector would report a ready direction
     * again.
     */
    final void rearm(int dirs, boolean recheck) {
        for (;;) {
            long s = state;
            int add = dirs & want(s) & ~armed(s);
            if (add == 0 || !registered(s) || connecting(s)) {
                return; // the common already-armed path costs one volatile read
            }
            if (STATE.weakCompareAndSet(this, s, rearmed(s, add))) {
                if (recheck || missedAny(s, add)) {
                    retrigger();
                }
                return;
            }
        }
    }

    /** An edge came while disarmed: ask the kernel to report the descriptor again if it is ready. */
    private synchronized void retrigger() {
        long s = state;
        if (registered(s)) {
            poller.controlQuietly(Libc.EPOLL_CTL_MOD, fd, kernelEvents(s), key);
        }
    }

    /** The connect is over: every registered direction armed, as after a registration. Holds the lock. */
    final void connected() {
        state = EdgeWord.connected(state);
    }

    @Override
    public void wouldBlock(Interest directions) {
        rearm(directions(directions));
    }

    // ---- what I/O teaches ---------------------------------------------------------------------

    final void learned(int hintBits) {
        HINTS.getAndBitwiseOr(this, hintBits);
    }

    /** Records what an I/O failure teaches (a reset: both directions closed) and returns it. */
    final IOException failed(IOException e) {
        if (!(e instanceof ClosedChannelException)) {
            learned(Readiness.BROKEN);
        }
        return e;
    }

    final void setError(IOException e) {
        ERROR.setVolatile(this, e);
    }

    @Override
    public IOException takeError() {
        return (IOException) ERROR.getAndSet(this, (IOException) null);
    }

    // ---- the rest of IoSource ----------------------------------------------------------------

    @Override
    public SocketAddress localAddress() throws IOException {
        return Sockets.localAddress(fd);
    }

    @Override
    public <T> void setOption(SocketOption<T> option, T value) throws IOException {
        SocketOptions.set(fd, family, option, value);
    }

    @Override
    public <T> T getOption(SocketOption<T> option) throws IOException {
        return SocketOptions.get(fd, family, option);
    }

    @Override
    public boolean isOpen() {
        return fd.isOpen();
    }

    /** Deregisters, then closes the descriptor once no other thread is using it. */
    @Override
    public void close() throws IOException {
        closeRegistration();
        fd.close();
    }

    /** Drops the registration, for a close. */
    final synchronized void closeRegistration() {
        unregister();
    }

    @Override
    public SelectableChannel channel() {
        throw new UnsupportedOperationException(
                "the epoll backend has no JDK channel behind its sources; channel() needs the nio backend (-Dverypoll.backend=nio)");
    }

    /** What a source of this kind cannot do; the public types never ask. */
    static UnsupportedOperationException notHere(String what) {
        return new UnsupportedOperationException(what + " is not supported by this kind of source");
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        throw notHere("read");
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        throw notHere("read");
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        throw notHere("write");
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        throw notHere("write");
    }

    @Override
    public IoSource accept() throws IOException {
        throw notHere("accept");
    }

    @Override
    public void shutdown(Shutdown how) throws IOException {
        throw notHere("shutdown");
    }

    @Override
    public int sendTo(ByteBuffer src, SocketAddress target) throws IOException {
        throw notHere("sendTo");
    }

    @Override
    public SocketAddress recvFrom(ByteBuffer dst) throws IOException {
        throw notHere("recvFrom");
    }

    @Override
    public void connect(SocketAddress peer) throws IOException {
        throw notHere("connect");
    }

    @Override
    public int send(ByteBuffer src) throws IOException {
        throw notHere("send");
    }

    @Override
    public MembershipKey joinMulticast(InetAddress group, NetworkInterface networkInterface, InetAddress source) throws IOException {
        throw notHere("joinMulticast");
    }

    @Override
    public SocketAddress peerAddress() throws IOException {
        throw notHere("peerAddress");
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(" + fd + ")";
    }
}
