package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.PollLoop;
import io.verypoll.net.SocketListener;
import io.verypoll.net.SocketStream;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.ssl.SslBundles;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;
import java.util.function.UnaryOperator;

/**
 * A server of stream connections (TCP or Unix-domain). With {@code accept=hand-off} its listener lives on
 * one loop and each accepted connection goes to the next loop in turn; with {@code accept=reuseport}
 * (TCP) each loop has a listener of its own and keeps what it accepts. A connection stays on its loop.
 */
public abstract sealed class StreamServer extends SocketServer permits TcpServer, UnixServer {

    private static final Log log = LogFactory.getLog(StreamServer.class);

    private final ConnectionHandlerFactory handlerFactory;
    private final OffloadExecutor offload;
    /** Wraps each accepted socket before its layers (PROXY, TLS: see ServerLayers); tests count calls with it. */
    UnaryOperator<StreamChannel> channelLayer = UnaryOperator.identity();
    private final AtomicInteger active = new AtomicInteger();
    /** What its connections see of this server. */
    private final ConnectionOwner owner = new ServerConnectionOwner(this);

    /** The listeners of this run: one (hand-off) or one per loop (reuseport); replaced at each start. */
    private volatile Acceptor[] acceptors = new Acceptor[0];
    /** What the acceptors counted, by the index of the loop they started on; kept across restarts. */
    private volatile Acceptor.Counts[] acceptCounts;
    private final Consumer<PollLoop> onLoopFailure = this::loopFailed;
    /** Set by beginDrain: a connection opened after it (taken from a closing listener's queue) closes gracefully at once. */
    private volatile boolean draining;

    /** PROXY header and TLS on accepted sockets. */
    private final ServerLayers layers;

    private ConnectionList[] connections;
    /** Bytes of heap held for input by all framed connections, across loops: what max-buffered-input caps. */
    final AtomicLong bufferedInput = new AtomicLong();

    StreamServer(String name, ServerSettings settings, ConnectionHandlerFactory handlerFactory, Executor offloadExecutor,
                 SslBundles sslBundles) {
        super(name, settings);
        this.handlerFactory = Objects.requireNonNull(handlerFactory, "handler");
        this.offload = new OffloadExecutor(offloadExecutor);
        this.layers = new ServerLayers(sslBundles);
    }

    /**
     * Where {@code ssl.bundle} is looked up when the builder gave no {@code sslBundles}: the starter
     * passes the context's {@link SslBundles} (Boot's {@code spring.ssl.bundle.*}) before each start.
     */
    public void defaultSslBundles(SslBundles bundles) {
        layers.defaultBundles(bundles);
    }

    /** True while the server runs with TLS (ssl.bundle set). */
    public boolean isTls() {
        return layers.isTls();
    }

    /** TLS failures of this server's connections for {@code cause}, each closed with {@code tls-error}. */
    public long tlsFailures(TlsFailure cause) {
        return counters.tlsFailures(cause);
    }

    /** Binds the listening socket with the current settings. */
    abstract SocketListener<?> bindListener() throws IOException;

    /**
     * Binds {@code count} listeners on one address with {@code SO_REUSEPORT}: for {@code accept=reuseport},
     * which only TCP servers have.
     */
    List<SocketListener<?>> bindReusePortListeners(int count) throws IOException {
        throw new UnsupportedOperationException("a " + kind().tag() + " server has no accept=reuseport");
    }

    /** Sets options on a connection just accepted (TCP_NODELAY, say); closes it if that fails. */
    void prepareAccepted(SocketStream stream) throws IOException {
    }

    /** Closes a listening socket (and whatever it left behind, such as a socket file). */
    void closeListener(SocketListener<?> listener) throws IOException {
        listener.close();
    }

    /** Accepts one connection; null when none is waiting. */
    StreamChannel acceptOne(SocketListener<?> listener) throws IOException {
        SocketStream stream = listener.accept();
        if (stream == null) {
            return null;
        }
        try {
            prepareAccepted(stream);
        } catch (IOException | RuntimeException e) {
            stream.close();
            throw e;
        }
        return channelLayer.apply(new SocketStreamChannel(stream));
    }

    @Override
    public int activeConnections() {
        return active.get();
    }

    public long acceptedConnections() {
        return sumCounts(c -> c.accepted);
    }

    public long rejectedMaxConnections() {
        return sumCounts(c -> c.rejectedMaxConnections);
    }

    public long rejectedAcceptErrors() {
        return sumCounts(c -> c.rejectedAcceptErrors);
    }

    private long sumCounts(ToLongFunction<Acceptor.Counts> counter) {
        Acceptor.Counts[] all = acceptCounts;
        long sum = 0;
        if (all != null) {
            for (Acceptor.Counts counts : all) {
                sum += counter.applyAsLong(counts);
            }
        }
        return sum;
    }

    /** Listeners open now: 1 with accept=hand-off, one per running loop with reuseport, 0 when stopped. */
    public int listeners() {
        int open = 0;
        for (Acceptor acceptor : acceptors) {
            if (!acceptor.isClosed()) {
                open++;
            }
        }
        return open;
    }

    /** Connections closed so far for {@code reason}. */
    public long closedConnections(CloseReason reason) {
        return counters.closed(reason);
    }

    /** Bytes written by handlers that the sockets have not taken yet, over all connections. */
    public long pendingBytes() {
        return counters.pendingBytes();
    }

    /** Bytes held for incomplete (or paused) frames, over all connections; at most max-buffered-input. */
    public long bufferedInputBytes() {
        return bufferedInput.get();
    }

    /** Work offloaded by connections ({@link Connection#offload}) and not yet replied, over all connections. */
    public long offloadsInFlight() {
        return counters.offloadsInFlight();
    }

    /** Offloaded work whose reply was dropped because its connection closed first. */
    public long offloadsDropped() {
        return counters.offloadsDropped();
    }

    /**
     * Where {@link Connection#offload} runs work: the builder's {@code offloadExecutor}, else the one
     * the starter passed (Boot's {@code applicationTaskExecutor}); null when neither, and then the
     * server runs it on a pool of its own, made at the first offload and shut down when it stops.
     */
    public Executor offloadExecutor() {
        return offload.chosen();
    }

    /**
     * The executor for offloaded work when the builder named none: the starter passes Boot's
     * {@code applicationTaskExecutor} here before each start. The server does not shut it down.
     */
    public void defaultOffloadExecutor(Executor executor) {
        offload.fromStarter(executor);
    }

    Executor offloadExecutorForUse() {
        return offload.forUse(name());
    }

    /** True while accepting is paused after an accept error (on any listener, with reuseport). */
    public boolean isAcceptPaused() {
        for (Acceptor acceptor : acceptors) {
            if (acceptor.isPaused()) {
                return true;
            }
        }
        return false;
    }

    @Override
    final void bind() throws IOException {
        List<PollLoop> loops = group.loops();
        connections = new ConnectionList[loops.size()];
        for (int i = 0; i < loops.size(); i++) {
            connections[i] = new ConnectionList();
        }
        if (acceptCounts == null) {
            acceptCounts = new Acceptor.Counts[loops.size()];
            for (int i = 0; i < loops.size(); i++) {
                acceptCounts[i] = new Acceptor.Counts();
            }
        }
        draining = false;
        layers.prepare(name(), settings(), task -> offloadExecutorForUse().execute(task), loops.size());
        // A customizer may set accept on any server; where it does not apply (Unix) it is ignored, as properties are.
        boolean reusePort = ServerSetting.ACCEPT.appliesTo(kind()) && settings().acceptMode() == AcceptMode.REUSEPORT;
        Acceptor[] bound = reusePort ? reusePortAcceptors(loops)
                : new Acceptor[] {acceptor(bindListener(), group.next(), false)};
        try {
            boundAddress = bound[0].listenerAddress();
            for (Acceptor acceptor : bound) {
                acceptor.start();
            }
        } catch (IOException | RuntimeException e) {
            for (Acceptor acceptor : bound) {
                runOnLoop(acceptor.loop(), () -> acceptor.close(false), Duration.ofSeconds(5));
            }
            throw e;
        }
        acceptors = bound;
        group.onLoopFailure(onLoopFailure);
    }

    /** One listener for each loop that runs (a loop failed before this start gets none). */
    private Acceptor[] reusePortAcceptors(List<PollLoop> loops) throws IOException {
        List<PollLoop> running = loops.stream().filter(loop -> loop.failure() == null).toList();
        if (running.isEmpty()) {
            throw new IllegalStateException("server '" + name() + "': every loop has failed");
        }
        List<SocketListener<?>> listeners = bindReusePortListeners(running.size());
        Acceptor[] bound = new Acceptor[listeners.size()];
        for (int i = 0; i < bound.length; i++) {
            bound[i] = acceptor(listeners.get(i), running.get(i), true);
        }
        return bound;
    }

    private Acceptor acceptor(SocketListener<?> listener, PollLoop loop, boolean keepsConnections) {
        return new Acceptor(this, listener, loop, keepsConnections, acceptCounts[loop.index()]);
    }

    /**
     * Serves a connection just accepted on {@code target}'s loop, or refuses it: above max-connections
     * (counted), or when no loop runs any more. Any acceptor's thread.
     */
    void admit(StreamChannel channel, Acceptor.Counts counts, PollLoop target) {
        if (target == null) {
            closeQuietly(channel);
            return;
        }
        if (!reserveConnection()) {
            counts.rejectedMaxConnections++;
            closeQuietly(channel);
            return;
        }
        counts.accepted++;
        if (target.inLoop()) {
            open(channel, target);
        } else if (!target.runtime().executeInternal(() -> open(channel, target))) {
            // The target loop has run its last tasks (it is stopping or failed).
            closeQuietly(channel);
            active.decrementAndGet();
        }
    }

    /** One more open connection unless that would pass max-connections; acceptors on several loops may ask at once. */
    private boolean reserveConnection() {
        int max = settings().maxConnections();
        for (;;) {
            int now = active.get();
            if (now >= max) {
                return false;
            }
            if (active.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    /** On the connection's loop: its layers (which use the loop's buffers) and the connection. */
    private void open(StreamChannel socket, PollLoop loop) {
        StreamChannel channel;
        try {
            channel = layers.wrap(socket, loop);
        } catch (RuntimeException e) {
            log.warn("server '" + name() + "': could not set up the connection's TLS engine; closing it", e);
            closeQuietly(socket);
            active.decrementAndGet();
            return;
        }
        Connection connection = new Connection(owner, loop, channel, nextConnectionId(), counters.stripe(loop.index()));
        connection.open(handlerFactory);
        if (draining) {
            // Taken from a closing listener's queue after the drain began: it ends as the others do.
            connection.shutdownGracefully();
        }
    }

    private final AtomicLong connectionIds = new AtomicLong();

    private long nextConnectionId() {
        return connectionIds.getAndIncrement();
    }

    // ---------------------------------------------------------------- called by connections

    void connectionOpened(Connection connection) {
        connections[connection.loop().index()].add(connection);
    }

    /** What {@code loop}'s connections share to batch writes and hand on frames; made there at first use. */
    WriteBatch writeBatch(PollLoop loop) {
        ConnectionList list = connections[loop.index()];
        if (list.batch == null) {
            list.batch = new WriteBatch();
        }
        return list.batch;
    }

    void connectionAbandoned() {
        active.decrementAndGet();
    }

    void connectionClosed(Connection connection) {
        if (connection.listIndex >= 0) {
            connections[connection.loop().index()].remove(connection);
        }
        active.decrementAndGet();
        for (Acceptor acceptor : acceptors) {
            acceptor.connectionClosed();
        }
    }

    // ---------------------------------------------------------------- shutdown

    /**
     * Closes every listener on its loop, each first taking and serving what its queue holds: those
     * connections end gracefully with the others, where closing a listener with a queue resets them.
     */
    @Override
    public void stopAccepting(Duration timeout) {
        if (state != State.RUNNING) {
            return;
        }
        state = State.STOPPING;
        Acceptor[] closing = acceptors;
        CountDownLatch closed = new CountDownLatch(closing.length);
        for (Acceptor acceptor : closing) {
            Runnable close = () -> {
                try {
                    acceptor.close(true);
                } finally {
                    closed.countDown();
                }
            };
            if (!acceptor.loop().runtime().executeInternal(close)) {
                close.run();
            }
        }
        await(closed, timeout);
    }

    @Override
    public void beginDrain() {
        if (state != State.STOPPING) {
            return;
        }
        draining = true;
        for (PollLoop loop : group.loops()) {
            ConnectionList list = connections[loop.index()];
            loop.runtime().executeInternal(() -> list.forEachCopy(Connection::shutdownGracefully));
        }
    }

    @Override
    public int forceClose(Duration timeout) {
        if (state == State.NEW || state == State.STOPPED) {
            return 0;
        }
        stopAccepting(timeout);
        draining = true; // a listener whose loop was too busy to close in time may still hand on its queue
        AtomicInteger forced = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(group.loops().size());
        for (PollLoop loop : group.loops()) {
            ConnectionList list = connections[loop.index()];
            Runnable closeAll = () -> {
                try {
                    list.forEachCopy(connection -> {
                        if (connection.forceClose()) {
                            forced.incrementAndGet();
                        }
                    });
                } finally {
                    done.countDown();
                }
            };
            if (!loop.runtime().executeInternal(closeAll)) {
                done.countDown();
            }
        }
        await(done, timeout);
        offload.shutdownOwn(timeout);
        group.removeLoopFailureListener(onLoopFailure);
        state = State.STOPPED;
        return forced.get();
    }

    /**
     * On the thread of a loop whose machinery failed: its connections close, and a listener on it
     * moves (hand-off) or hands its queue to the loops left and closes (reuseport), so the server
     * keeps accepting.
     */
    private void loopFailed(PollLoop failed) {
        connections[failed.index()].forEachCopy(Connection::loopFailed);
        for (Acceptor acceptor : acceptors) {
            acceptor.loopFailed(failed);
        }
    }

    private static void closeQuietly(StreamChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            log.trace("close failed", e);
        }
    }
}
