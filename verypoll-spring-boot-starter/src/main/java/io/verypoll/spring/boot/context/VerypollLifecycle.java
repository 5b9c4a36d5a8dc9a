package io.verypoll.spring.boot.context;

import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.server.ServerKind;
import io.verypoll.spring.boot.server.ServerSetting;
import io.verypoll.spring.boot.server.ServerSettings;
import io.verypoll.spring.boot.server.SocketServer;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Starts the servers declared as beans and shuts everything down gracefully: stop accepting, let
 * connections finish writing within the shutdown timeout, close the rest (counted as forced), then
 * stop the loop threads. Runs in the phase Boot uses for web servers.
 */
public class VerypollLifecycle implements SmartLifecycle, DisposableBean {

    private static final Log log = LogFactory.getLog(VerypollLifecycle.class);

    /** The phase of Boot's web server start and graceful stop. */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 2048;

    /** Boot's default for spring.lifecycle.timeout-per-shutdown-phase. */
    public static final Duration DEFAULT_PHASE_TIMEOUT = Duration.ofSeconds(30);

    /** How long one server gets to close its listener, and the loops to end after the drain. */
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(5);

    private final PollLoopGroup group;
    private final ObjectProvider<SocketServer> serverProvider;
    private final Duration shutdownTimeout;
    private final Duration phaseTimeout;
    private final Map<String, Map<ServerSetting<?>, Object>> overrides;
    private final ApplicationEventPublisher publisher;
    private final Object monitor = new Object();
    private volatile boolean running;
    private List<SocketServer> servers = List.of();
    private volatile long forcedClosed;
    private Thread shutdownThread;

    /** A lifecycle in an application that keeps Boot's default phase timeout. */
    public VerypollLifecycle(PollLoopGroup group, ObjectProvider<SocketServer> servers, Duration shutdownTimeout,
                             Map<String, Map<ServerSetting<?>, Object>> overrides, ApplicationEventPublisher publisher) {
        this(group, servers, shutdownTimeout, DEFAULT_PHASE_TIMEOUT, overrides, publisher);
    }

    /**
     * @param shutdownTimeout how long connections get to finish writing when the application stops
     * @param phaseTimeout    how long Spring waits for this lifecycle's phase to stop
     *                        ({@code spring.lifecycle.timeout-per-shutdown-phase})
     * @param overrides       per server name, the settings that replace the bean's own before binding
     *                        ({@code verypoll.servers.<name>.*})
     */
    public VerypollLifecycle(PollLoopGroup group, ObjectProvider<SocketServer> servers, Duration shutdownTimeout,
                             Duration phaseTimeout, Map<String, Map<ServerSetting<?>, Object>> overrides,
                             ApplicationEventPublisher publisher) {
        this.group = Objects.requireNonNull(group, "group");
        this.serverProvider = Objects.requireNonNull(servers, "servers");
        this.shutdownTimeout = Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
        this.phaseTimeout = Objects.requireNonNull(phaseTimeout, "phaseTimeout");
        this.overrides = Map.copyOf(overrides);
        this.publisher = publisher;
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
        return running;
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

    /** Connections closed by force because they had not finished writing at the shutdown timeout. */
    public long forcedClosed() {
        return forcedClosed;
    }

    @Override
    public void start() {
        synchronized (monitor) {
            if (running) {
                return;
            }
            if (shutdownTimeout.compareTo(phaseTimeout) >= 0) {
                // Spring stops waiting for the phase first, and the drain would be cut short without a word.
                log.warn("verypoll.shutdown-timeout (" + shutdownTimeout + ") is not below "
                        + "spring.lifecycle.timeout-per-shutdown-phase (" + phaseTimeout + "): lower it or raise the phase timeout");
            }
            // Resolved here, not in the constructor: servers may depend on beans that depend on us.
            List<SocketServer> found = serverProvider.orderedStream().toList();
            configure(found);
            List<SocketServer> started = new ArrayList<>();
            try {
                for (SocketServer server : found) {
                    server.start(group);
                    started.add(server);
                    if (ServerSetting.ADDRESS.appliesTo(server.kind()) && !server.settings().isLoopback()) {
                        log.warn("verypoll server '" + server.name() + "' is bound to " + server.boundAddress()
                                + ", which is not a loopback address: it is reachable from other hosts");
                    }
                    log.info("verypoll " + server.protocol() + " server '" + server.name() + "' bound to "
                            + server.boundAddress());
                }
            } catch (IOException | RuntimeException e) {
                for (SocketServer server : started) {
                    server.stopAccepting(STEP_TIMEOUT);
                    server.forceClose(STEP_TIMEOUT);
                }
                group.stop(STEP_TIMEOUT);
                SocketServer failed = found.get(started.size());
                String what = "verypoll server '" + failed.name() + "' could not "
                        + (e instanceof IOException ? "bind " : "start on ") + describeAddress(failed) + ": " + e.getMessage();
                String action = switch (failed.kind()) {
                    case UNIX -> "Remove the socket file if no process uses it any more, or set verypoll.servers."
                            + failed.name() + ".path to another file.";
                    case TCP, UDP -> "Free the address, or set verypoll.servers." + failed.name()
                            + ".port (0 picks a free port) or .address to another one.";
                };
                throw new VerypollServerStartupException(what, action, e);
            }
            servers = List.copyOf(started);
            running = true;
            warnIfDescriptorsCannotCoverMaxConnections(servers);
        }
        for (SocketServer server : servers) {
            if (publisher != null) {
                publisher.publishEvent(new VerypollServerStartedEvent(server, servers.size()));
            }
        }
    }

    private void configure(List<SocketServer> found) {
        List<String> names = found.stream().map(SocketServer::name).toList();
        for (String configured : overrides.keySet()) {
            if (!names.contains(configured)) {
                log.warn("verypoll.servers." + configured + ".* is set but there is no server named '" + configured
                        + "' (servers: " + names + ")");
            }
        }
        List<String> problems = new ArrayList<>();
        for (SocketServer server : found) {
            Map<ServerSetting<?>, Object> changes = overrides.get(server.name());
            if (changes != null) {
                for (ServerSetting<?> setting : changes.keySet()) {
                    if (!setting.appliesTo(server.kind())) {
                        log.warn("verypoll.servers." + server.name() + "." + setting.name() + " is set, but a "
                                + server.kind().tag() + " server has no " + setting.name() + "; it is ignored");
                    }
                }
                server.configure(server.settings().with(changes));
            }
            problems.addAll(server.problems());
        }
        if (!problems.isEmpty()) {
            throw new VerypollServerStartupException("Invalid verypoll server settings:\n\n    "
                    + problems.stream().collect(Collectors.joining("\n    ")),
                    "Change the server beans or their verypoll.servers.<name>.* properties.", null);
        }
    }

    /** Descriptors kept for everything but connections: jars, logs, listeners, the poll. */
    static final int DESCRIPTOR_RESERVE = 64;

    /**
     * Connections beyond the process's descriptor limit fail at accept (EMFILE) instead of being
     * refused cleanly by max-connections; say so at startup, when the fix is a setting away.
     */
    private static void warnIfDescriptorsCannotCoverMaxConnections(List<SocketServer> servers) {
        if (!(java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.UnixOperatingSystemMXBean unix)) {
            return;
        }
        long wanted = DESCRIPTOR_RESERVE;
        for (SocketServer server : servers) {
            if (ServerSetting.MAX_CONNECTIONS.appliesTo(server.kind())) {
                wanted += server.settings().maxConnections();
            }
        }
        long limit = unix.getMaxFileDescriptorCount();
        if (wanted > limit) {
            log.warn("verypoll servers allow " + (wanted - DESCRIPTOR_RESERVE) + " connections in all (max-connections),"
                    + " but this process may open only " + limit + " file descriptors: raise the limit (ulimit -n) or lower"
                    + " verypoll.servers.<name>.max-connections; above it, accepts fail with EMFILE and pause with backoff");
        }
    }

    private static String describeAddress(SocketServer server) {
        ServerSettings s = server.settings();
        return server.kind() == ServerKind.UNIX ? s.path() : s.address() + ":" + s.port();
    }

    @Override
    public void stop(Runnable callback) {
        synchronized (monitor) {
            if (!running) {
                callback.run();
                return;
            }
            // Boot waits for the callback (up to its per-phase timeout) while other beans stop too.
            shutdownThread = new Thread(() -> {
                try {
                    shutdown();
                } finally {
                    callback.run();
                }
            }, "verypoll-shutdown");
            shutdownThread.start();
        }
    }

    @Override
    public void stop() {
        shutdown();
    }

    /**
     * When the context is destroyed: finishes a stop that never happened (a failed refresh) and
     * waits for the asynchronous one, so that no verypoll thread outlives the context.
     */
    @Override
    public void destroy() throws InterruptedException {
        shutdown();
        awaitStopped(STEP_TIMEOUT.multipliedBy(2).plus(shutdownTimeout));
    }

    /** Waits for an asynchronous stop to finish. */
    public void awaitStopped(Duration timeout) throws InterruptedException {
        Thread t;
        synchronized (monitor) {
            t = shutdownThread;
        }
        if (t != null) {
            t.join(Math.max(1, timeout.toMillis()));
        }
    }

    private void shutdown() {
        List<SocketServer> toStop;
        synchronized (monitor) {
            if (!running) {
                return;
            }
            running = false;
            toStop = servers;
        }
        for (SocketServer server : toStop) {
            server.stopAccepting(STEP_TIMEOUT);
        }
        for (SocketServer server : toStop) {
            server.beginDrain();
        }
        long deadline = System.nanoTime() + shutdownTimeout.toNanos();
        while (activeConnections(toStop) > 0 && System.nanoTime() - deadline < 0) {
            // A bounded wait for connections to finish writing; each pass is short so that shutdown
            // ends soon after the last connection closes.
            try {
                TimeUnit.MILLISECONDS.sleep(Math.min(10, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        int forced = 0;
        for (SocketServer server : toStop) {
            forced += server.forceClose(STEP_TIMEOUT);
        }
        if (forced > 0) {
            forcedClosed += forced;
            log.warn("verypoll shutdown: closed " + forced + " connection(s) that had not finished writing within "
                    + shutdownTimeout);
        }
        if (!group.stop(STEP_TIMEOUT)) {
            log.warn("verypoll loops did not all stop within " + STEP_TIMEOUT);
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
