package io.verypoll.spring.boot.server;

import io.verypoll.net.SocketStream;
import io.verypoll.spring.boot.loop.PollLoop;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import org.springframework.beans.factory.BeanNameAware;
import org.springframework.boot.ssl.SslBundles;

import java.io.IOException;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * Outbound stream connections (TCP or Unix-domain) to one address, each a {@link Connection} like an
 * accepted one: the same handlers, frame decoders, batched writes, watermarks, caps, idle timeout, close
 * reasons and meters (tagged with the client's name). Declared as a {@code @Bean}, the starter starts it
 * with the application and stops it gracefully; its name is the bean name, and
 * {@code verypoll.clients.<name>.*} configures it.
 *
 * <p>With {@code link} on (the default) the client keeps one connection open while it runs: connected
 * at start, connected again after a close or a failed connect with {@link Backoff exponential backoff}.
 * {@link #connect(PollLoop, ConnectionHandlerFactory)} opens further connections on a given loop, such
 * as the loop of a server connection that needs a backend (a proxy: see {@link Relay}). A host name is
 * resolved on the client's executor, never on a loop.
 *
 * <p>With {@code ssl.bundle} every connection is TLS ({@link ClientLayers}): the handler opens once the
 * handshake is done, and the server's certificate must name the host unless {@code ssl.verify-hostname}
 * is off. A failed handshake closes the connection with {@link CloseReason#TLS_ERROR} (or
 * {@link CloseReason#TLS_HANDSHAKE_TIMEOUT}), told to the handler as {@code onClose} alone.
 *
 * <p>Connect failures reach the handler as {@code onClose} with {@link CloseReason#CONNECT_REFUSED},
 * {@link CloseReason#CONNECT_TIMEOUT}, {@link CloseReason#UNRESOLVED} or {@link CloseReason#CONNECT_FAILED},
 * on a connection that never opened.
 */
public abstract sealed class StreamClient implements BeanNameAware permits TcpClient, UnixClient {

    enum State { NEW, RUNNING, STOPPING, STOPPED }

    private String name;
    private final boolean nameFixed;
    private final ClientSettings declaredSettings;
    private volatile ClientSettings settings;
    final ConnectionHandlerFactory handlerFactory;
    private final OffloadExecutor executor;
    /** Wraps each connected socket before its TLS layer; tests count calls with it. */
    UnaryOperator<StreamChannel> channelLayer = UnaryOperator.identity();
    private final ClientLayers layers;
    private final ConnectionOwner owner = new ClientConnectionOwner(this);
    private volatile State state = State.NEW;
    PollLoopGroup group;
    private volatile ServerCounters counters = ServerCounters.NONE;
    PerLoop[] loops;
    final AtomicInteger active = new AtomicInteger();
    final AtomicInteger connecting = new AtomicInteger();
    private final AtomicLong nextId = new AtomicLong();
    private final AtomicLong connectAttempts = new AtomicLong();
    final AtomicLong reconnects = new AtomicLong();
    private final AtomicLong bufferedInput = new AtomicLong();
    volatile ClientLink link;
    /** How connections end at a stop or with a failed loop. */
    private final ClientShutdown shutdown = new ClientShutdown(this);
    private final Consumer<PollLoop> onLoopFailure = shutdown::loopFailed;

    /** What one loop holds of this client; touched on that loop's thread only. */
    static final class PerLoop {
        final ConnectionList connections = new ConnectionList();
        final List<OutboundConnect> attempts = new ArrayList<>();
    }

    StreamClient(String name, ClientSettings settings, ConnectionHandlerFactory handlerFactory, Executor executor,
                 SslBundles sslBundles) {
        this.name = name;
        this.nameFixed = name != null;
        this.declaredSettings = Objects.requireNonNull(settings, "settings");
        this.settings = settings;
        this.handlerFactory = Objects.requireNonNull(handlerFactory, "handler");
        this.executor = new OffloadExecutor(executor);
        this.layers = new ClientLayers(sslBundles);
    }

    @Override
    public void setBeanName(String beanName) {
        if (!nameFixed) {
            name = beanName;
        }
    }

    public String name() {
        return name == null ? getClass().getSimpleName() : name;
    }

    public abstract ServerKind kind();

    /** "tcp" or "unix". */
    public final String protocol() {
        return kind().tag();
    }

    public ClientSettings settings() {
        return settings;
    }

    public ClientSettings declaredSettings() {
        return declaredSettings;
    }

    /** Replaces the settings while the client is not running (the starter applies properties before each start). */
    public synchronized void configure(ClientSettings newSettings) {
        if (state == State.RUNNING || state == State.STOPPING) {
            throw new IllegalStateException("client '" + name() + "' is running; stop it first");
        }
        settings = Objects.requireNonNull(newSettings, "newSettings");
    }

    /** Problems with the current settings; empty when the client can start. */
    public List<String> problems() {
        return settings.problems(name(), kind());
    }

    /** Where the client connects, as configured ("127.0.0.1:7007", a socket file). */
    public abstract String target();

    public boolean isRunning() {
        return state == State.RUNNING;
    }

    /** True while the link's connection is open (false for a client without a link). */
    public boolean isConnected() {
        ClientLink l = link;
        return l != null && l.isConnected();
    }

    /**
     * The link's connection while it is open, else null. Use it on its loop
     * ({@code connection.execute(...)} from other threads).
     */
    public Connection linkConnection() {
        ClientLink l = link;
        return l == null ? null : l.connection();
    }

    ClientLink link() {
        return link;
    }

    /** True when this client keeps a link (the {@code link} setting, read at start). */
    public boolean hasLink() {
        return link != null;
    }

    public int activeConnections() {
        return active.get();
    }

    /** Connects in progress (resolving or connecting). */
    public int connectsInProgress() {
        return connecting.get();
    }

    /** Connects started, the link's and {@link #connect}'s. */
    public long connectAttempts() {
        return connectAttempts.get();
    }

    /** Reconnects the link started after a close or a failure. */
    public long reconnects() {
        return reconnects.get();
    }

    /** Connections closed (or connects failed) so far for {@code reason}. */
    public long closedConnections(CloseReason reason) {
        return counters.closed(reason);
    }

    public long bytesReceived() {
        return counters.bytesReceived();
    }

    public long bytesSent() {
        return counters.bytesSent();
    }

    public long pendingBytes() {
        return counters.pendingBytes();
    }

    public long handlerErrors() {
        return counters.handlerErrors();
    }

    public long bufferedInputBytes() {
        return bufferedInput.get();
    }

    /** The executor for resolving names and offloaded work when the builder named none; see {@link StreamServer#defaultOffloadExecutor}. */
    public void defaultExecutor(Executor value) {
        executor.fromStarter(value);
    }

    /** Where {@code ssl.bundle} is looked up when the builder gave no {@code sslBundles}; the starter passes the context's. */
    public void defaultSslBundles(SslBundles bundles) {
        layers.defaultBundles(bundles);
    }

    /** True while the client runs with TLS (ssl.bundle set). */
    public boolean isTls() {
        return layers.isTls();
    }

    /** TLS failures of this client's connections for {@code cause}, each closed with {@code tls-error}. */
    public long tlsFailures(TlsFailure cause) {
        return counters.tlsFailures(cause);
    }

    // ---------------------------------------------------------------- life

    /** Starts on {@code loops}: the link (if on) connects. Again after a stop. Called by the starter's lifecycle. */
    public final synchronized void start(PollLoopGroup loops) {
        if (state == State.RUNNING || state == State.STOPPING) {
            throw new IllegalStateException("client '" + name() + "' is already started");
        }
        List<String> problems = problems();
        if (!problems.isEmpty()) {
            throw new IllegalStateException(String.join("; ", problems));
        }
        if (group != null && group != loops) {
            throw new IllegalStateException("client '" + name() + "' was started on another loop group");
        }
        // The SSL bundle first: a missing or unusable one fails the start before anything runs.
        layers.prepare(name(), settings, tlsPeerHost(), tlsPeerPort(), task -> offloadExecutorForUse().execute(task),
                loops.loops().size());
        group = loops;
        loops.ensureStarted();
        if (counters == ServerCounters.NONE) {
            counters = new ServerCounters(loops.loops().size());
        }
        PerLoop[] fresh = new PerLoop[loops.loops().size()];
        for (int i = 0; i < fresh.length; i++) {
            fresh[i] = new PerLoop();
        }
        this.loops = fresh;
        state = State.RUNNING;
        loops.removeLoopFailureListener(onLoopFailure);
        loops.onLoopFailure(onLoopFailure);
        if (settings.link()) {
            ClientLink l = new ClientLink(this, loops.next(), handlerFactory, settings.reconnect());
            link = l;
            l.start();
        } else {
            link = null;
        }
    }

    /** Opens one more connection, with the client's handler, on the next loop. Any thread. */
    public void connect() {
        requireStarted();
        connect(group.next(), handlerFactory);
    }

    /**
     * Opens one more connection on {@code loop} with a handler from {@code factory}. Any thread; on
     * {@code loop}'s own thread (a server handler's callback) it starts at once, with no hand-off: the
     * connection lives next to the caller's, and the two may call each other directly. A name is
     * resolved off the loop first. Failures (and a client that is stopping) are told to the handler.
     */
    public void connect(PollLoop loop, ConnectionHandlerFactory factory) {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(factory, "factory");
        requireStarted();
        startConnect(loop, factory, null);
    }

    void startConnect(PollLoop loop, ConnectionHandlerFactory factory, OutboundConnect.Listener listener) {
        List<PollLoop> ours = group.loops();
        if (loop.index() >= ours.size() || ours.get(loop.index()) != loop) {
            throw new IllegalArgumentException("loop " + loop.threadName() + " is not of this client's group");
        }
        connecting.incrementAndGet();
        connectAttempts.incrementAndGet();
        new OutboundConnect(this, loop, factory, listener, unresolvedTarget()).begin();
    }

    private void requireStarted() {
        if (group == null || state == State.NEW) {
            throw new IllegalStateException("client '" + name() + "' is not started");
        }
    }

    /**
     * Stops: the link stops reconnecting, connects in progress fail ({@link CloseReason#SHUTDOWN}),
     * connections close gracefully; what is still open after {@code timeout} is closed at once.
     * Returns how many connections that was.
     */
    public int stop(Duration timeout) {
        synchronized (this) {
            if (state != State.RUNNING) {
                return 0;
            }
            state = State.STOPPING;
        }
        AtomicInteger forced = shutdown.closeAll(timeout);
        executor.shutdownOwn(timeout);
        group.removeLoopFailureListener(onLoopFailure);
        synchronized (this) {
            state = State.STOPPED;
        }
        return forced.get();
    }

    // ---------------------------------------------------------------- for the connects

    /** The address to connect to, maybe a name still to resolve. */
    abstract SocketAddress unresolvedTarget();

    /** True when {@code address} names a host still to resolve (off the loop). */
    abstract boolean needsResolving(SocketAddress address);

    /** Resolves {@code address} (blocking: on the resolver's thread); null when the name does not resolve. */
    abstract SocketAddress resolve(SocketAddress address);

    /** Starts a non-blocking connect. */
    abstract SocketStream open(SocketAddress address) throws IOException;

    /** The host TLS verifies and sends as SNI (null: none), and its port (-1: none). */
    abstract String tlsPeerHost();

    abstract int tlsPeerPort();

    /** {@code socket}, just connected on {@code loop}, with the client's TLS layer if it has one. */
    StreamChannel withLayers(StreamChannel socket, PollLoop loop) {
        return layers.wrap(channelLayer.apply(socket), loop);
    }

    /** Options on a socket just connected (TCP_NODELAY). */
    void prepareConnected(SocketStream stream) throws IOException {
    }

    Executor resolverExecutor() {
        return executor.forUse(name());
    }

    /** New connects go ahead: false once the client stops. */
    boolean takesConnects() {
        return state == State.RUNNING;
    }

    List<OutboundConnect> attemptsOf(PollLoop loop) {
        return loops[loop.index()].attempts;
    }

    /** A connect ended; {@code offLoop} when its loop no longer runs (nothing to touch on it). */
    void attemptEnded(PollLoop loop, OutboundConnect attempt, boolean offLoop) {
        if (!offLoop) {
            loops[loop.index()].attempts.remove(attempt);
        }
        connecting.decrementAndGet();
    }

    Connection newConnection(PollLoop loop, StreamChannel channel) {
        return new Connection(owner, loop, channel, nextId.getAndIncrement(), counters.stripe(loop.index()));
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "{name=" + name() + ", target=" + target() + "}";
    }

    // ---------------------------------------------------------------- called by connections (ClientConnectionOwner)

    void connectionOpened(Connection connection) {
        active.incrementAndGet();
        loops[connection.loop().index()].connections.add(connection);
    }

    void connectionAbandoned(Connection connection) {
        ClientLink l = link;
        if (l != null) {
            l.closed(connection);
        }
    }

    void connectionClosed(Connection connection) {
        if (connection.listIndex >= 0) {
            loops[connection.loop().index()].connections.remove(connection);
        }
        active.decrementAndGet();
        ClientLink l = link;
        if (l != null) {
            l.closed(connection);
        }
    }

    WriteBatch writeBatch(PollLoop loop) {
        ConnectionList list = loops[loop.index()].connections;
        if (list.batch == null) {
            list.batch = new WriteBatch();
        }
        return list.batch;
    }

    Executor offloadExecutorForUse() {
        return executor.forUse(name());
    }

    AtomicLong bufferedInput() {
        return bufferedInput;
    }
}
