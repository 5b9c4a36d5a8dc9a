package io.verypoll.spring.boot.context;

import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.server.ServerKind;
import io.verypoll.spring.boot.server.ServerSetting;
import io.verypoll.spring.boot.server.ServerSettings;
import io.verypoll.spring.boot.server.SocketServer;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The servers' part of {@link VerypollLifecycle#start()} once they are configured: bind each in order
 * (a server that cannot bind undoes the others and says what to change), then warn of what would hurt
 * later. Apart from the lifecycle, which keeps the order of start and stop and its state.
 */
final class ServerStart {

    /** The lifecycle's category: these are its messages, and logging is configured by it. */
    private static final Log log = LogFactory.getLog(VerypollLifecycle.class);

    private ServerStart() {
    }

    /**
     * Starts {@code found} in order on {@code group}. When one fails, what started is closed and the loops
     * stop, and the error names the server, its address and what to change.
     */
    static List<SocketServer> bindAll(List<SocketServer> found, PollLoopGroup group, Duration stepTimeout) {
        List<SocketServer> started = new ArrayList<>();
        try {
            for (SocketServer server : found) {
                server.start(group);
                started.add(server);
                log.info("verypoll " + server.protocol() + " server '" + server.name() + "' bound to "
                        + server.boundAddress());
            }
        } catch (IOException | RuntimeException e) {
            for (SocketServer server : started) {
                server.forceClose(stepTimeout);
            }
            group.stop(stepTimeout);
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
        return List.copyOf(started);
    }

    /** One warning per start, naming every server reachable from other hosts, and how to silence it. */
    static void warnIfNotLoopback(List<SocketServer> started, boolean acknowledged) {
        if (acknowledged) {
            return;
        }
        List<String> exposed = new ArrayList<>();
        for (SocketServer server : started) {
            if (ServerSetting.ADDRESS.appliesTo(server.kind()) && !server.settings().isLoopback()) {
                exposed.add("'" + server.name() + "' on " + server.boundAddress());
            }
        }
        if (!exposed.isEmpty()) {
            log.warn("verypoll servers reachable from other hosts (not bound to loopback): " + String.join(", ", exposed)
                    + ". If that is intended, set verypoll.non-loopback-acknowledged=true to silence this warning.");
        }
    }

    /** Descriptors kept for everything but connections: jars, logs, listeners, the poll. */
    static final int DESCRIPTOR_RESERVE = 64;

    /**
     * Connections beyond the process's descriptor limit fail at accept (EMFILE) instead of being
     * refused cleanly by max-connections; say so at startup, when the fix is a setting away.
     */
    static void warnIfDescriptorsCannotCoverMaxConnections(List<SocketServer> servers) {
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
}
