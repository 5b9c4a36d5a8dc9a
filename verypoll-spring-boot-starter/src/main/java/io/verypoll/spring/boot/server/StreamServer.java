package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.EventHandler;
import io.verypoll.spring.boot.loop.LoopTimer;
import io.verypoll.spring.boot.loop.PollLoop;
import io.verypoll.Event;
import io.verypoll.Interest;
import io.verypoll.net.SocketListener;
import io.verypoll.net.SocketStream;
import io.verypoll.Token;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.ssl.SslBundles;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * A server of stream connections (TCP or Unix-domain). The listener lives on one loop; each accepted
 * connection goes to the next loop in turn and stays there.
 */
public abstract sealed class StreamServer extends SocketServer permits TcpServer, UnixServer {

    private static final Log log = LogFactory.getLog(StreamServer.class);

    /** Accepts per readiness event before yielding to the loop's other work. */
    private static final int MAX_ACCEPTS_PER_EVENT = 64;

    private final ConnectionHandlerFactory handlerFactory;
    private final OffloadExecutor offload;
    /** Wraps each accepted socket before its layers (PROXY, TLS: see ServerLayers); tests count calls with it. */
    UnaryOperator<StreamChannel> channelLayer = UnaryOperator.identity();
    private final AtomicInteger active = new AtomicInteger();
    /** What its connections see of this server. */
    private final ConnectionOwner owner = new ServerConnectionOwner(this);

    // Owned by the listener's loop. Everything on the accept-error path is made here, in advance:
    // at EMFILE even loading a class can fail for want of a file descriptor.
    private volatile PollLoop listenerLoop;
    private SocketListener<?> listener;
    private Token listenerToken;
    private final EventHandler acceptHandler = this::onListenerEvent;
    private final Runnable acceptAgain = this::acceptAgain;
    private final Runnable resumeAcceptTask = this::resumeAccepting;
    private final ResumeAcceptTimer resumeTimer = new ResumeAcceptTimer();
    /** One resume-accept hand-off at a time, however many connections close meanwhile. */
    private final AtomicBoolean resumeQueued = new AtomicBoolean();
    private final Consumer<PollLoop> onLoopFailure = this::loopFailed;
    private long backoffNanos;
    private volatile boolean acceptPaused;
    private volatile boolean listenerClosed;
    private long errorsInEpisode;

    // Listener-loop counters, read by meters.
    private volatile long accepted;
    private volatile long rejectedMaxConnections;
    private volatile long rejectedAcceptError;

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

    /** Sets options on a connection just accepted (TCP_NODELAY, say); closes it if that fails. */
    void prepareAccepted(SocketStream stream) throws IOException {
    }

    /** Closes the listening socket (and whatever it left behind, such as a socket file). */
    void closeListener() throws IOException {
        listener.close();
    }

    /** Accepts one connection; null when none is waiting. */
    private StreamChannel acceptOne() throws IOException {
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
        return accepted;
    }

    public long rejectedMaxConnections() {
        return rejectedMaxConnections;
    }

    public long rejectedAcceptErrors() {
        return rejectedAcceptError;
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

    /** True while accepting is paused after an accept error. */
    public boolean isAcceptPaused() {
        return acceptPaused;
    }

    @Override
    final void bind() throws IOException {
        int loops = group.loops().size();
        connections = new ConnectionList[loops];
        for (int i = 0; i < loops; i++) {
            connections[i] = new ConnectionList();
        }
        listenerClosed = false;
        acceptPaused = false;
        resumeQueued.set(false);
        errorsInEpisode = 0;
        layers.prepare(name(), settings(), task -> offloadExecutorForUse().execute(task), loops);
        listener = bindListener();
        try {
            boundAddress = listener.localAddress();
            listenerLoop = group.next();
            backoffNanos = settings().acceptBackoff().toNanos();
            listenerToken = listenerLoop.register(listener, Interest.READABLE, acceptHandler);
        } catch (IOException | RuntimeException e) {
            closeListener();
            throw e;
        }
        group.onLoopFailure(onLoopFailure);
    }

    private void onListenerEvent(Event event) {
        acceptSome();
    }

    private void acceptAgain() {
        if (!listenerClosed && !acceptPaused) {
            acceptSome();
        }
    }

    private void acceptSome() {
        for (int i = 0; i < MAX_ACCEPTS_PER_EVENT; i++) {
            StreamChannel channel;
            try {
                channel = acceptOne();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                acceptFailed(e);
                return;
            }
            if (channel == null) {
                if (errorsInEpisode > 0) {
                    log.info("server '" + name() + "': accepting again after " + errorsInEpisode + " accept error(s)");
                    errorsInEpisode = 0;
                }
                backoffNanos = settings().acceptBackoff().toNanos();
                return; // would block: accept is armed again
            }
            handOff(channel);
        }
        listenerLoop.runtime().runLater(acceptAgain);
    }

    private void handOff(StreamChannel channel) {
        if (state != State.RUNNING) {
            closeQuietly(channel);
            return;
        }
        if (active.get() >= settings().maxConnections()) {
            rejectedMaxConnections++;
            closeQuietly(channel);
            return;
        }
        active.incrementAndGet();
        accepted++;
        PollLoop target = group.next();
        if (target == listenerLoop) {
            open(channel, target);
        } else if (!target.runtime().executeInternal(() -> open(channel, target))) {
            // The target loop has run its last tasks (it is stopping or failed).
            closeQuietly(channel);
            active.decrementAndGet();
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
        new Connection(owner, loop, channel, nextConnectionId(), counters.stripe(loop.index())).open(handlerFactory);
    }

    private final AtomicLong connectionIds = new AtomicLong();

    private long nextConnectionId() {
        return connectionIds.getAndIncrement();
    }

    private void acceptFailed(IOException error) {
        rejectedAcceptError++;
        long pauseNanos = backoffNanos;
        backoffNanos = Math.min(backoffNanos * 2, settings().acceptBackoffMax().toNanos());
        // One warning per episode, and a plain message: building a stack trace walks classes that
        // may need file descriptors.
        if (errorsInEpisode++ == 0) {
            log.warn("server '" + name() + "': accept failed (" + error.getMessage() + "); pausing accept for "
                    + TimeUnit.NANOSECONDS.toMillis(pauseNanos) + " ms, then retrying with backoff up to "
                    + settings().acceptBackoffMax().toMillis() + " ms");
        } else if (log.isDebugEnabled()) {
            log.debug("server '" + name() + "': accept failed again (" + error.getMessage() + "); pausing "
                    + TimeUnit.NANOSECONDS.toMillis(pauseNanos) + " ms");
        }
        try {
            listenerLoop.deregister(listenerToken);
        } catch (IOException | RuntimeException e) {
            log.debug("deregistering the listener failed", e);
        }
        acceptPaused = true;
        listenerLoop.runtime().armTimer(resumeTimer, System.nanoTime() + pauseNanos);
    }

    private void resumeAccepting() {
        resumeQueued.set(false);
        if (!acceptPaused || listenerClosed) {
            return;
        }
        acceptPaused = false;
        listenerLoop.runtime().cancelTimer(resumeTimer);
        try {
            // Registering again arms readiness again: connections that waited in the backlog show up.
            listenerToken = listenerLoop.register(listener, Interest.READABLE, acceptHandler);
        } catch (IOException | RuntimeException e) {
            log.warn("server '" + name() + "': could not resume accepting (" + e.getMessage() + "); retrying");
            acceptPaused = true;
            listenerLoop.runtime().armTimer(resumeTimer, System.nanoTime() + backoffNanos);
        }
    }

    private final class ResumeAcceptTimer extends LoopTimer {
        @Override
        protected void fire() {
            resumeAccepting();
        }
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
        if (acceptPaused && resumeQueued.compareAndSet(false, true)) {
            // A descriptor was just freed: try accepting now rather than at the end of the backoff.
            if (!listenerLoop.runtime().executeInternal(resumeAcceptTask)) {
                resumeQueued.set(false);
            }
        }
    }

    // ---------------------------------------------------------------- shutdown

    @Override
    public void stopAccepting(Duration timeout) {
        if (state != State.RUNNING) {
            return;
        }
        state = State.STOPPING;
        runOnLoop(listenerLoop, () -> {
            listenerClosed = true;
            acceptPaused = false;
            listenerLoop.runtime().cancelTimer(resumeTimer);
            try {
                listenerLoop.deregister(listenerToken);
            } catch (IOException | RuntimeException e) {
                log.trace("listener already deregistered", e);
            }
            try {
                closeListener();
            } catch (IOException e) {
                log.warn("closing the listener of '" + name() + "' failed", e);
            }
        }, timeout);
    }

    @Override
    public void beginDrain() {
        if (state != State.STOPPING) {
            return;
        }
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
     * On the thread of a loop whose machinery failed: its connections close, and a listener it served
     * moves to a loop that still runs, so the server keeps accepting.
     */
    private void loopFailed(PollLoop failed) {
        connections[failed.index()].forEachCopy(Connection::loopFailed);
        if (failed != listenerLoop || listenerClosed) {
            return;
        }
        failed.runtime().cancelTimer(resumeTimer);
        acceptPaused = false;
        PollLoop target = group.next();
        listenerLoop = target;
        moveRegistration(failed, target, listenerToken, listener, acceptHandler, token -> listenerToken = token);
    }

    private static void closeQuietly(StreamChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            log.trace("close failed", e);
        }
    }
}
