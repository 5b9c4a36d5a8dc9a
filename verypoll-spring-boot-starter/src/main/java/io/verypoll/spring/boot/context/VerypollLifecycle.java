package io.verypoll.spring.boot.context;

import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.server.StreamClient;
import io.verypoll.spring.boot.server.SocketServer;
import io.verypoll.spring.boot.server.StreamServer;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;

import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Starts the server beans and stops them, in the phase where Boot starts and stops its web servers:
 * bind at start; at stop close what is still open and stop the loop threads. Stop and start again
 * work (a context stopped and started, a paused test context that resumes): servers bind again, a
 * port-0 server takes its old port if it can, the loops start again, counters go on.
 *
 * <p>The graceful part of a shutdown runs earlier, beside the web server's, through
 * {@link VerypollGracefulShutdown}, which calls {@link #shutDownGracefully}: stop accepting, close
 * every connection gracefully, wait up to {@code verypoll.shutdown-timeout}.
 */
public class VerypollLifecycle implements SmartLifecycle, DisposableBean, BeanFactoryAware {

    private static final Log log = LogFactory.getLog(VerypollLifecycle.class);

    /** The phase of Boot's web server start and stop. */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 2048;

    /** Boot's default for spring.lifecycle.timeout-per-shutdown-phase. */
    public static final Duration DEFAULT_PHASE_TIMEOUT = Duration.ofSeconds(30);

    /** How long one server gets to close its listener, and the loops to end after the drain. */
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(5);

    /** Where the servers are in their life; the health contributor reads it. */
    public enum State {
        /** Not started, or stopped: nothing bound. */
        STOPPED,
        /** Bound and accepting. */
        RUNNING,
        /** A graceful shutdown: no longer accepting, connections closing. */
        DRAINING
    }

    /**
     * How the lifecycle behaves.
     *
     * @param shutdownTimeout         how long a graceful shutdown lets connections finish
     * @param phaseTimeout            how long Spring waits for one shutdown phase
     *                                ({@code spring.lifecycle.timeout-per-shutdown-phase})
     * @param nonLoopbackAcknowledged true to bind beyond loopback without a warning
     */
    public record Options(Duration shutdownTimeout, Duration phaseTimeout, boolean nonLoopbackAcknowledged) {
        public Options {
            Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
            Objects.requireNonNull(phaseTimeout, "phaseTimeout");
        }

        public static Options defaults() {
            return new Options(Duration.ofSeconds(20), DEFAULT_PHASE_TIMEOUT, false);
        }
    }

    private final PollLoopGroup group;
    private final ObjectProvider<SocketServer> serverProvider;
    private final ObjectProvider<VerypollServerCustomizer> customizers;
    private final ServerSettingsSource properties;
    private final Options options;
    private final ApplicationEventPublisher publisher;
    private final ObjectProvider<Executor> offloadExecutor;
    private volatile ObjectProvider<SslBundles> sslBundles;
    private final Object monitor = new Object();
    private ListableBeanFactory beanFactory;
    private volatile State state = State.STOPPED;
    private List<SocketServer> servers = List.of();
    private ObjectProvider<StreamClient> clientProvider;
    private ClientSettingsSource clientProperties = ClientSettingsSource.NONE;
    private List<StreamClient> clients = List.of();
    private volatile long forcedClosed;
    private Thread drainThread;

    public VerypollLifecycle(PollLoopGroup group, ObjectProvider<SocketServer> servers,
                             ObjectProvider<VerypollServerCustomizer> customizers, ServerSettingsSource properties,
                             Options options, ApplicationEventPublisher publisher) {
        this(group, servers, customizers, properties, options, publisher, null);
    }

    /**
     * Where servers and clients with {@code ssl.bundle} find their bundle when their builder gave no
     * {@code sslBundles}: the auto-configuration passes Boot's {@code SslBundles}. Resolved at each start.
     */
    public void setSslBundles(ObjectProvider<SslBundles> bundles) {
        this.sslBundles = bundles;
    }

    /**
     * As above, and {@code offloadExecutor} (may be null or empty) is where the stream servers whose
     * builder named no {@code offloadExecutor} run offloaded work; the auto-configuration passes Boot's
     * {@code applicationTaskExecutor}. Resolved at each start.
     */
    public VerypollLifecycle(PollLoopGroup group, ObjectProvider<SocketServer> servers,
                             ObjectProvider<VerypollServerCustomizer> customizers, ServerSettingsSource properties,
                             Options options, ApplicationEventPublisher publisher,
                             ObjectProvider<Executor> offloadExecutor) {
        this.offloadExecutor = offloadExecutor;
        this.group = Objects.requireNonNull(group, "group");
        this.serverProvider = Objects.requireNonNull(servers, "servers");
        this.customizers = Objects.requireNonNull(customizers, "customizers");
        this.properties = Objects.requireNonNull(properties, "properties");
        this.options = Objects.requireNonNull(options, "options");
        this.publisher = publisher;
    }

    @Override
    public void setBeanFactory(BeanFactory factory) throws BeansException {
        if (factory instanceof ListableBeanFactory listable) {
            beanFactory = listable;
        }
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    @Override
    public boolean isAutoStartup() {
        return true;
    }

    @Override
    public boolean isRunning() {
        return state != State.STOPPED;
    }

    public State state() {
        return state;
    }

    /**
     * The client beans to start after the servers (so a client may connect to a server of the same
     * application) and to stop before them, configured from {@code properties}. Set once, before start.
     */
    public void clients(ObjectProvider<StreamClient> clientBeans, ClientSettingsSource properties) {
        this.clientProvider = Objects.requireNonNull(clientBeans, "clientBeans");
        this.clientProperties = Objects.requireNonNull(properties, "properties");
    }

    /** The clients this lifecycle started. */
    public List<StreamClient> clients() {
        synchronized (monitor) {
            return clients;
        }
    }

    /** The servers this lifecycle started. */
    public List<SocketServer> servers() {
        synchronized (monitor) {
            return servers;
        }
    }

    public PollLoopGroup group() {
        return group;
    }

    public Options options() {
        return options;
    }

    /** Connections closed by force because they had not finished writing at the shutdown timeout. */
    public long forcedClosed() {
        return forcedClosed;
    }

    @Override
    public void start() {
        List<SocketServer> started;
        List<StreamClient> startedClients;
        synchronized (monitor) {
            if (state != State.STOPPED) {
                return;
            }
            if (options.shutdownTimeout().compareTo(options.phaseTimeout()) >= 0) {
                // Spring stops waiting for the phase first, and the drain would be cut short without a word.
                log.warn("verypoll.shutdown-timeout (" + options.shutdownTimeout() + ") is not below "
                        + "spring.lifecycle.timeout-per-shutdown-phase (" + options.phaseTimeout()
                        + "): lower it or raise the phase timeout");
            }
            // Resolved here, not in the constructor: servers may depend on beans that depend on us.
            Map<String, SocketServer> beans = serverBeans();
            new ServerConfigurator(properties, customizers.orderedStream().toList()).configure(beans);
            Executor executor = offloadExecutor == null ? null : offloadExecutor.getIfAvailable();
            ObjectProvider<SslBundles> bundlesProvider = sslBundles;
            SslBundles bundles = bundlesProvider == null ? null : bundlesProvider.getIfAvailable();
            for (SocketServer server : beans.values()) {
                if (server instanceof StreamServer stream) {
                    stream.defaultOffloadExecutor(executor);
                    stream.defaultSslBundles(bundles);
                }
            }
            if (group.isStopped()) {
                group.start(); // a restart: the loops went with the last stop
            }
            started = ServerStart.bindAll(List.copyOf(beans.values()), group, STEP_TIMEOUT);
            servers = started;
            state = State.RUNNING;
            ServerStart.warnIfNotLoopback(started, options.nonLoopbackAcknowledged());
            ServerStart.warnIfDescriptorsCannotCoverMaxConnections(started);
        }
        for (SocketServer server : started) {
            if (publisher != null) {
                publisher.publishEvent(new VerypollServerStartedEvent(server, started.size()));
            }
        }
        // After the servers' events: local.verypoll.<server>.port is known, so a client's properties may
        // name the port of a server of this application (${local.verypoll.echo.port}).
        synchronized (monitor) {
            Executor executor = offloadExecutor == null ? null : offloadExecutor.getIfAvailable();
            startedClients = startClients(executor);
            clients = startedClients;
        }
        for (StreamClient client : startedClients) {
            if (publisher != null) {
                publisher.publishEvent(new VerypollClientStartedEvent(client));
            }
        }
    }

    /** Configures and starts the client beans; on invalid settings stops what started, servers included. */
    private List<StreamClient> startClients(Executor executor) {
        if (clientProvider == null) {
            return List.of();
        }
        try {
            ObjectProvider<SslBundles> bundlesProvider = sslBundles;
            SslBundles bundles = bundlesProvider == null ? null : bundlesProvider.getIfAvailable();
            return new ClientConfigurator(clientProperties).start(clientProvider.orderedStream().toList(), executor,
                    bundles, group);
        } catch (VerypollServerStartupException e) {
            for (SocketServer server : servers) {
                server.forceClose(STEP_TIMEOUT);
            }
            group.stop(STEP_TIMEOUT);
            state = State.STOPPED;
            throw e;
        }
    }

    /** The server beans by bean name (the name is what a duplicate-name error can point at). */
    private Map<String, SocketServer> serverBeans() {
        List<SocketServer> ordered = serverProvider.orderedStream().toList();
        Map<SocketServer, String> beanNames = new IdentityHashMap<>();
        if (beanFactory != null) {
            beanFactory.getBeansOfType(SocketServer.class, false, false)
                    .forEach((beanName, server) -> beanNames.put(server, beanName));
        }
        Map<String, SocketServer> beans = new LinkedHashMap<>();
        for (SocketServer server : ordered) {
            String beanName = beanNames.getOrDefault(server, server.name());
            beans.put(beans.containsKey(beanName) ? beanName + "#" + beans.size() : beanName, server);
        }
        return beans;
    }

    // ---------------------------------------------------------------- stopping

    /**
     * The graceful part of a shutdown, in the background: stop accepting, close every connection
     * gracefully, and call {@code callback} when none is left or the shutdown timeout passed. What is
     * still open then is closed by {@link #stop()}.
     */
    public void shutDownGracefully(Runnable callback) {
        List<SocketServer> toDrain;
        synchronized (monitor) {
            if (state != State.RUNNING) {
                callback.run();
                return;
            }
            state = State.DRAINING;
            toDrain = servers;
            drainThread = new Thread(() -> {
                try {
                    drain(toDrain);
                } finally {
                    callback.run();
                }
            }, "verypoll-shutdown");
            drainThread.start();
        }
    }

    private void drain(List<SocketServer> toDrain) {
        for (SocketServer server : toDrain) {
            server.stopAccepting(STEP_TIMEOUT);
        }
        for (SocketServer server : toDrain) {
            server.beginDrain();
        }
        long deadline = System.nanoTime() + options.shutdownTimeout().toNanos();
        while (activeConnections(toDrain) > 0 && System.nanoTime() - deadline < 0) {
            // A bounded wait for connections to finish; each pass is short so that the phase ends
            // soon after the last connection closes.
            try {
                TimeUnit.MILLISECONDS.sleep(Math.min(10, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void stop() {
        List<SocketServer> toStop;
        synchronized (monitor) {
            if (state == State.STOPPED) {
                return;
            }
            toStop = servers;
        }
        awaitDrain(options.shutdownTimeout().plus(STEP_TIMEOUT));
        int forced = 0;
        List<StreamClient> clientsToStop;
        synchronized (monitor) {
            clientsToStop = clients;
        }
        for (StreamClient client : clientsToStop) {
            forced += client.stop(STEP_TIMEOUT);
        }
        for (SocketServer server : toStop) {
            forced += server.forceClose(STEP_TIMEOUT);
        }
        if (forced > 0) {
            forcedClosed += forced;
            log.warn("verypoll shutdown: closed " + forced + " connection(s) that had not finished writing within "
                    + options.shutdownTimeout());
        }
        if (!group.stop(STEP_TIMEOUT)) {
            log.warn("verypoll loops did not all stop within " + STEP_TIMEOUT);
        }
        synchronized (monitor) {
            state = State.STOPPED;
        }
    }

    /**
     * When the context is destroyed: finishes a stop that never happened (a failed refresh) and
     * waits for a drain still running, so that no verypoll thread outlives the context.
     */
    @Override
    public void destroy() {
        stop();
        awaitDrain(STEP_TIMEOUT);
    }

    /** Waits for a graceful drain in progress to finish. */
    public void awaitDrain(Duration timeout) {
        Thread t;
        synchronized (monitor) {
            t = drainThread;
        }
        if (t == null || t == Thread.currentThread()) {
            return;
        }
        try {
            t.join(Math.max(1, timeout.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int activeConnections(List<SocketServer> servers) {
        int sum = 0;
        for (SocketServer server : servers) {
            sum += server.activeConnections();
        }
        return sum;
    }
}
