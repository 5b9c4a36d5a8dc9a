package io.verypoll.spring.boot.actuate;

import io.verypoll.spring.boot.context.VerypollServerStartedEvent;
import io.verypoll.spring.boot.loop.LoopStats;
import io.verypoll.spring.boot.loop.PollLoop;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.server.CloseReason;
import io.verypoll.spring.boot.server.SocketServer;
import io.verypoll.spring.boot.server.StreamServer;
import io.verypoll.spring.boot.server.UdpServer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.context.ApplicationListener;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * verypoll's meters. Every one is a function meter over a plain counter the loops keep anyway, so
 * metrics cost the loops nothing: the work happens when a registry reads them. Tags stay bounded:
 * {@code loop} index, {@code server} name, a fixed {@code reason} set and at most 32 {@code exception}
 * names.
 */
public class VerypollMeterBinder implements MeterBinder, ApplicationListener<VerypollServerStartedEvent> {

    private final PollLoopGroup group;
    private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();
    private final List<SocketServer> servers = new CopyOnWriteArrayList<>();

    public VerypollMeterBinder(PollLoopGroup group) {
        this.group = group;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        registries.add(registry);
        for (PollLoop loop : group.loops()) {
            bindLoop(registry, loop);
        }
        // A breakdown, so it may appear with the first error of a type: the totals that alerts
        // watch (per loop, per server) exist at 0 from the start.
        group.handlerErrors().onType(type -> FunctionCounter
                .builder("verypoll.handler.errors.by.exception", group.handlerErrors(), errors -> errors.count(type))
                .description("Exceptions thrown by handlers, tasks and timers of all loops, by exception class")
                .tag("exception", type)
                .register(registry));
        for (SocketServer server : servers) {
            bindServer(registry, server);
        }
    }

    @Override
    public void onApplicationEvent(VerypollServerStartedEvent event) {
        SocketServer server = event.server();
        if (servers.contains(server)) {
            return;
        }
        servers.add(server);
        for (MeterRegistry registry : registries) {
            bindServer(registry, server);
        }
    }

    private static void bindLoop(MeterRegistry registry, PollLoop loop) {
        Tags tags = Tags.of("loop", Integer.toString(loop.index()));
        FunctionCounter.builder("verypoll.loop.events", loop.stats(), LoopStats::eventsDispatched)
                .description("Events dispatched to handlers").tags(tags).register(registry);
        FunctionTimer.builder("verypoll.loop.wait", loop.stats(), LoopStats::polls, LoopStats::waitNanos, TimeUnit.NANOSECONDS)
                .description("Time blocked in the selector").tags(tags).register(registry);
        FunctionTimer.builder("verypoll.loop.cycle", loop.stats(), LoopStats::cycles, LoopStats::cycleNanos, TimeUnit.NANOSECONDS)
                .description("Time per loop iteration outside the selector (events, timers, tasks)").tags(tags)
                .register(registry);
        FunctionCounter.builder("verypoll.loop.wakeups", loop.stats(), LoopStats::wakeups)
                .description("Waker wake-ups").tags(tags).register(registry);
        FunctionCounter.builder("verypoll.loop.tasks.rejected", loop.stats(), LoopStats::rejectedTasks)
                .description("Tasks refused because the loop's queue was full (verypoll.max-pending-tasks)")
                .tags(tags).register(registry);
        Gauge.builder("verypoll.loop.tasks.pending", loop, PollLoop::pendingTasks)
                .description("Tasks queued for the loop").tags(tags).strongReference(true).register(registry);
        Gauge.builder("verypoll.loop.registrations", loop, PollLoop::registrations)
                .description("Sources registered with the loop").tags(tags).strongReference(true).register(registry);
        FunctionCounter.builder("verypoll.loop.blocked", loop.stats(), LoopStats::blockedIterations)
                .description("Iterations longer than verypoll.blocked-threshold").tags(tags).register(registry);
        FunctionCounter.builder("verypoll.loop.handler.errors", loop.stats(), LoopStats::handlerErrors)
                .description("Exceptions thrown by what the loop ran: server and raw handlers, tasks, timers")
                .tags(tags).register(registry);
    }

    private static void bindServer(MeterRegistry registry, SocketServer server) {
        Tags tags = Tags.of("server", server.name());
        FunctionCounter.builder("verypoll.data.received", server, SocketServer::bytesReceived)
                .description("Payload bytes received").baseUnit(BaseUnits.BYTES).tags(tags).register(registry);
        FunctionCounter.builder("verypoll.data.sent", server, SocketServer::bytesSent)
                .description("Payload bytes sent").baseUnit(BaseUnits.BYTES).tags(tags).register(registry);
        FunctionCounter.builder("verypoll.handler.errors", server, SocketServer::handlerErrors)
                .description("Exceptions thrown by the server's handler").tags(tags).register(registry);
        // Connections and pending output exist for stream servers only: UDP has neither.
        if (server instanceof StreamServer stream) {
            Gauge.builder("verypoll.connections.active", stream, StreamServer::activeConnections)
                    .description("Open connections").tags(tags).strongReference(true).register(registry);
            FunctionCounter.builder("verypoll.connections.accepted", stream, StreamServer::acceptedConnections)
                    .description("Accepted connections").tags(tags).register(registry);
            FunctionCounter.builder("verypoll.connections.rejected", stream, StreamServer::rejectedMaxConnections)
                    .description("Connections refused").tags(tags).tag("reason", "max-connections").register(registry);
            FunctionCounter.builder("verypoll.connections.rejected", stream, StreamServer::rejectedAcceptErrors)
                    .description("Connections refused").tags(tags).tag("reason", "accept-error").register(registry);
            Gauge.builder("verypoll.data.pending", stream, StreamServer::pendingBytes)
                    .description("Bytes written by handlers and not yet taken by the sockets").baseUnit(BaseUnits.BYTES)
                    .tags(tags).strongReference(true).register(registry);
            for (CloseReason reason : CloseReason.values()) {
                FunctionCounter.builder("verypoll.connections.closed", stream, s -> s.closedConnections(reason))
                        .description("Closed connections by reason").tags(tags).tag("reason", reason.tag())
                        .register(registry);
            }
        }
        if (server instanceof UdpServer udp) {
            FunctionCounter.builder("verypoll.datagrams.received", udp, UdpServer::datagramsReceived)
                    .description("Datagrams received").tags(tags).register(registry);
            FunctionCounter.builder("verypoll.datagrams.sent", udp, UdpServer::datagramsSent)
                    .description("Datagrams sent").tags(tags).register(registry);
            FunctionCounter.builder("verypoll.datagrams.dropped", udp, UdpServer::datagramsDropped)
                    .description("Datagrams dropped because the socket could not take them").tags(tags)
                    .register(registry);
            FunctionCounter.builder("verypoll.datagrams.receive.errors", udp, UdpServer::receiveErrors)
                    .description("Receives that failed; the server went on receiving").tags(tags).register(registry);
        }
    }
}
