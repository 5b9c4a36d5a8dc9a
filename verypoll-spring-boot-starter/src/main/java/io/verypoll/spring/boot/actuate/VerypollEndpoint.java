package io.verypoll.spring.boot.actuate;

import io.verypoll.Poll;
import io.verypoll.spring.boot.context.VerypollLifecycle;
import io.verypoll.spring.boot.loop.PollLoop;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.server.CloseReason;
import io.verypoll.spring.boot.server.SocketServer;
import io.verypoll.spring.boot.server.StreamClient;
import io.verypoll.spring.boot.server.StreamServer;
import io.verypoll.spring.boot.server.UdpServer;
import io.verypoll.spring.boot.server.UnixServer;
import com.fasterxml.jackson.annotation.JsonInclude;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code /actuator/verypoll}: the backend ({@code nio} or {@code epoll}), the loops, the servers and the
 * clients (with the settings they run with), as they are now.
 */
@Endpoint(id = "verypoll")
public class VerypollEndpoint {

    private final PollLoopGroup group;
    private final VerypollLifecycle lifecycle;

    public VerypollEndpoint(PollLoopGroup group, VerypollLifecycle lifecycle) {
        this.group = group;
        this.lifecycle = lifecycle;
    }

    @ReadOperation
    public Report report() {
        List<LoopReport> loops = group.loops().stream().map(VerypollEndpoint::loop).toList();
        List<ServerReport> servers = lifecycle == null ? List.of()
                : lifecycle.servers().stream().map(VerypollEndpoint::server).toList();
        List<ClientReport> clients = lifecycle == null ? List.of()
                : lifecycle.clients().stream().map(VerypollEndpoint::client).toList();
        String state = group.isStarted() ? "running" : group.isStopped() ? "stopped" : "not started";
        return new Report(state, Poll.backend(), group.handlerErrors().total(), loops, servers, clients);
    }

    private static LoopReport loop(PollLoop loop) {
        return new LoopReport(loop.index(), loop.threadName(), loop.isRunning(), loop.isBlocked(),
                loop.registrations(), loop.pendingTasks(), loop.stats().eventsDispatched(), loop.stats().wakeups(),
                loop.stats().tasksRun(), loop.stats().iterations(), loop.stats().blockedIterations());
    }

    private static ServerReport server(SocketServer server) {
        String address = server instanceof UnixServer unix && unix.path() != null ? unix.path().toString()
                : String.valueOf(server.boundAddress());
        Long accepted = server instanceof StreamServer s ? s.acceptedConnections() : null;
        Long rejected = server instanceof StreamServer s ? s.rejectedMaxConnections() + s.rejectedAcceptErrors() : null;
        Long datagrams = server instanceof UdpServer u ? u.datagramsReceived() : null;
        Integer listeners = server instanceof StreamServer s ? s.listeners() : null;
        return new ServerReport(server.name(), server.protocol(), address, server.port(), server.isRunning(),
                listeners, server.activeConnections(), accepted, rejected, datagrams, server.bytesReceived(),
                server.bytesSent(), settings(server));
    }

    private static ClientReport client(StreamClient client) {
        String link = !client.hasLink() ? "none" : client.isConnected() ? "connected" : "not connected";
        long failed = client.closedConnections(CloseReason.CONNECT_REFUSED) + client.closedConnections(CloseReason.CONNECT_TIMEOUT)
                + client.closedConnections(CloseReason.UNRESOLVED) + client.closedConnections(CloseReason.CONNECT_FAILED);
        Map<String, Object> settings = new LinkedHashMap<>();
        client.settings().asMap(client.kind()).forEach((name, value) ->
                settings.put(name, value instanceof Duration duration ? duration.toString() : value));
        return new ClientReport(client.name(), client.protocol(), client.target(), client.isRunning(), link,
                client.activeConnections(), client.connectAttempts(), client.reconnects(), failed,
                client.bytesReceived(), client.bytesSent(), settings);
    }

    /** The settings in effect, by property name; durations as text ("PT1M"), byte sizes in bytes. */
    private static Map<String, Object> settings(SocketServer server) {
        Map<String, Object> settings = new LinkedHashMap<>();
        server.settings().asMap(server.kind()).forEach((name, value) ->
                settings.put(name, value instanceof Duration duration ? duration.toString() : value));
        return settings;
    }

    public record Report(String state, String backend, long handlerErrors, List<LoopReport> loops,
                         List<ServerReport> servers, List<ClientReport> clients) {
    }

    /** A client: where it connects, its link ("connected", "not connected", or "none"), its connects and bytes. */
    public record ClientReport(String name, String protocol, String target, boolean running, String link,
                               int activeConnections, long connects, long reconnects, long connectsFailed,
                               long bytesReceived, long bytesSent, Map<String, Object> settings) {
    }

    public record LoopReport(int index, String thread, boolean running, boolean blocked, int registrations,
                             int pendingTasks, long events, long wakeups, long tasks, long iterations,
                             long blockedIterations) {
    }

    /**
     * A server; {@code listeners} (stream servers): listening sockets open now, 1 with accept=hand-off,
     * one per running loop with reuseport.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ServerReport(String name, String protocol, String address, int port, boolean running,
                               Integer listeners, int activeConnections, Long acceptedConnections, Long rejectedConnections,
                               Long datagramsReceived, long bytesReceived, long bytesSent,
                               Map<String, Object> settings) {
    }
}
