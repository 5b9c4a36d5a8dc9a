package io.verypoll.spring.boot.server;

import io.verypoll.Interest;
import io.verypoll.Source;
import io.verypoll.Token;
import io.verypoll.spring.boot.loop.EventHandler;
import io.verypoll.spring.boot.loop.PollLoop;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.BeanNameAware;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A server declared as a {@code @Bean}: the starter binds it when the application starts and closes
 * it gracefully when it stops. Its name is the bean name unless the builder set one; meters, the
 * endpoint and {@code verypoll.servers.<name>.*} use it.
 */
public abstract sealed class SocketServer implements BeanNameAware permits StreamServer, UdpServer {

    private static final Log log = LogFactory.getLog(SocketServer.class);

    enum State { NEW, RUNNING, STOPPING, STOPPED }

    private String name;
    private boolean nameFixed;
    /** What the bean declared; the starter derives {@link #settings} from it at every start. */
    private final ServerSettings declaredSettings;
    private volatile ServerSettings settings;
    /** The port bound last: a port-0 server binds it again on a restart, so clients find it. */
    private int lastPort;
    volatile State state = State.NEW;
    PollLoopGroup group;
    volatile ServerCounters counters = ServerCounters.NONE;
    volatile SocketAddress boundAddress;

    SocketServer(String name, ServerSettings settings) {
        this.name = name;
        this.nameFixed = name != null;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.declaredSettings = settings;
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

    /** The kind's tag: "tcp", "udp" or "unix". */
    public final String protocol() {
        return kind().tag();
    }

    public ServerSettings settings() {
        return settings;
    }

    /** The settings the bean was built with, before customizers and properties. */
    public ServerSettings declaredSettings() {
        return declaredSettings;
    }

    /**
     * Replaces the settings while the server is not running (the starter applies customizers and
     * {@code verypoll.servers.<name>.*} before each start).
     */
    public synchronized void configure(ServerSettings newSettings) {
        if (state == State.RUNNING || state == State.STOPPING) {
            throw new IllegalStateException("server '" + name() + "' is running; stop it first");
        }
        settings = Objects.requireNonNull(newSettings, "newSettings");
    }

    /** The address actually bound (with the real port when 0 was asked), or null when not running. */
    public SocketAddress boundAddress() {
        return boundAddress;
    }

    /** The bound port, or -1 when not bound or not an IP server. */
    public int port() {
        return boundAddress instanceof InetSocketAddress inet ? inet.getPort() : -1;
    }

    public boolean isRunning() {
        return state == State.RUNNING;
    }

    /** Open connections (0 for UDP). */
    public abstract int activeConnections();

    public long bytesReceived() {
        return counters.bytesReceived();
    }

    public long bytesSent() {
        return counters.bytesSent();
    }

    /**
     * Exceptions thrown by this server's handler (each closed its connection, or cost a datagram);
     * the group's {@code handlerErrors()} count them too, with raw handlers, tasks and timers.
     */
    public long handlerErrors() {
        return counters.handlerErrors();
    }

    /** Problems with the current settings; empty when the server can start. */
    public List<String> problems() {
        return settings.problems(name(), kind());
    }

    /**
     * Binds and starts serving on {@code loops}; again after a stop (a context that restarts). Called
     * by the starter's lifecycle. Counters go on across restarts.
     */
    public final synchronized void start(PollLoopGroup loops) throws IOException {
        if (state == State.RUNNING || state == State.STOPPING) {
            throw new IllegalStateException("server '" + name() + "' is already started");
        }
        List<String> problems = problems();
        if (!problems.isEmpty()) {
            throw new IllegalStateException(String.join("; ", problems));
        }
        if (group != null && group != loops) {
            throw new IllegalStateException("server '" + name() + "' was started on another loop group");
        }
        this.group = loops;
        loops.ensureStarted();
        if (counters == ServerCounters.NONE) {
            counters = new ServerCounters(loops.loops().size());
        }
        bind();
        lastPort = Math.max(port(), 0);
        state = State.RUNNING;
    }

    abstract void bind() throws IOException;

    /** How a server binds a port (a listener, a datagram socket). */
    @FunctionalInterface
    interface PortBinding<T> {
        T bind(int port) throws IOException;
    }

    /**
     * Binds the configured port; for port 0 after a restart, the port this server had before first
     * (its clients and the published port stay right), and any free port if that one is taken.
     */
    <T> T bindPort(PortBinding<T> binding) throws IOException {
        int configured = settings.port();
        if (configured == 0 && lastPort > 0) {
            try {
                return binding.bind(lastPort);
            } catch (java.net.BindException taken) {
                // Someone else has it now: a new free port, published again by the started event.
            }
        }
        return binding.bind(configured);
    }

    /** Stops taking new connections (or datagrams) and waits up to {@code timeout} for that. */
    public abstract void stopAccepting(Duration timeout);

    /** Asks every connection to finish writing and close. */
    public abstract void beginDrain();

    /** Stops accepting (if not yet) and closes what is still open; returns how many connections that was. */
    public abstract int forceClose(Duration timeout);

    /**
     * On the thread of a failed loop: takes a registration of this server out of that loop's table (so
     * the loop does not close the source as it ends) and registers it again on {@code target}, on
     * target's thread; {@code registered} gets the new token there.
     */
    void moveRegistration(PollLoop failed, PollLoop target, Token token, Source source, EventHandler handler,
                          Consumer<Token> registered) {
        try {
            failed.deregister(token);
        } catch (IOException | RuntimeException e) {
            log.trace("deregistering from the failed loop", e);
        }
        boolean queued = target != failed && target.runtime().executeInternal(() -> {
            try {
                registered.accept(target.register(source, Interest.READABLE, handler));
                log.warn("server '" + name() + "' serves on " + target.threadName() + " from now on");
            } catch (IOException | RuntimeException e) {
                log.error("server '" + name() + "' could not move to " + target.threadName(), e);
            }
        });
        if (!queued) {
            log.error("server '" + name() + "' has no running loop left");
        }
    }

    /**
     * Runs {@code action} on {@code loop}, or on this thread if the loop no longer takes work, and
     * waits up to {@code timeout} for it to finish.
     */
    static void runOnLoop(PollLoop loop, Runnable action, Duration timeout) {
        CountDownLatch done = new CountDownLatch(1);
        Runnable task = () -> {
            try {
                action.run();
            } finally {
                done.countDown();
            }
        };
        if (!loop.runtime().executeInternal(task)) {
            task.run();
        }
        await(done, timeout);
    }

    /** Waits up to {@code timeout} (at least a millisecond) for {@code latch}; keeps an interrupt. */
    static void await(CountDownLatch latch, Duration timeout) {
        try {
            latch.await(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "{name=" + name() + ", bound=" + boundAddress + "}";
    }
}
