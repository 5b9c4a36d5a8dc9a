package io.verypoll.spring.boot.actuate;

import io.verypoll.spring.boot.context.VerypollClientStartedEvent;
import io.verypoll.spring.boot.context.VerypollServerStartedEvent;
import io.verypoll.spring.boot.loop.DurationHistogram;
import io.verypoll.spring.boot.loop.LoopStats;
import io.verypoll.spring.boot.loop.PollLoop;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.server.CloseReason;
import io.verypoll.spring.boot.server.SocketServer;
import io.verypoll.spring.boot.server.StreamClient;
import io.verypoll.spring.boot.server.StreamServer;
import io.verypoll.spring.boot.server.TlsFailure;
import io.verypoll.spring.boot.server.UdpServer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.EventListener;

import java.math.BigDecimal;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * verypoll's meters. Every one is a function meter over a plain counter the loops keep anyway, so
 * metrics cost the loops nothing: the work happens when a registry reads them. Tags stay bounded:
 * {@code loop} index, {@code server} or {@code client} name, a fixed {@code reason} set, 15 {@code le} bounds and at
 * most 33 {@code exception} names. Names follow Micrometer's conventions (the unit is the base unit,
 * never part of the name), so Prometheus shows {@code _total}, {@code _seconds} and {@code _bytes}.
 */
public class VerypollMeterBinder implements MeterBinder, ApplicationListener<VerypollServerStartedEvent> {

    private final PollLoopGroup group;
    private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();
    private final List<SocketServer> servers = new CopyOnWriteArrayList<>();
    private final List<StreamClient> clients = new CopyOnWriteArrayList<>();

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
        for (StreamClient client : clients) {
            bindClient(registry, client);
        }
    }

    /** A client bean started: its meters, tagged {@code client}, join the registries. */
    @EventListener
    public void onClientStarted(VerypollClientStartedEvent event) {
        StreamClient client = event.client();
        if (clients.contains(client)) {
            return;
        }
        clients.add(client);
        for (MeterRegistry registry : registries) {
            bindClient(registry, client);
        }
    }

    /**
     * A client's meters: the connection meters of a stream server as {@code verypoll.client.*}, tagged
     * {@code client} (one name keeps one set of tag keys, as Prometheus requires), and its connects
     * (attempts, reconnects, the link's state).
     */
    private static void bindClient(MeterRegistry registry, StreamClient client) {
        Tags tags = Tags.of("client", client.name());
        FunctionCounter.builder("verypoll.client.data.received", client, StreamClient::bytesReceived)
                .description("Payload bytes received").baseUnit(BaseUnits.BYTES).tags(tags).register(registry);
        FunctionCounter.builder("verypoll.client.data.sent", client, StreamClient::bytesSent)
                .description("Payload bytes sent").baseUnit(BaseUnits.BYTES).tags(tags).register(registry);
        FunctionCounter.builder("verypoll.client.handler.errors", client, StreamClient::handlerErrors)
                .description("Exceptions thrown by the client's handler").tags(tags).register(registry);
        Gauge.builder("verypoll.client.connections.active", client, StreamClient::activeConnections)
                .description("Open connections").tags(tags).strongReference(true).register(registry);
        Gauge.builder("verypoll.client.data.pending", client, StreamClient::pendingBytes)
                .description("Bytes written by handlers and not yet taken by the sockets").baseUnit(BaseUnits.BYTES)
                .tags(tags).strongReference(true).register(registry);
        Gauge.builder("verypoll.client.input.buffered", client, StreamClient::bufferedInputBytes)
                .description("Bytes held for incomplete frames (capped by max-buffered-input)").baseUnit(BaseUnits.BYTES)
                .tags(tags).strongReference(true).register(registry);
        FunctionCounter.builder("verypoll.client.connects", client, StreamClient::connectAttempts)
                .description("Connects started (the link's and connect()'s); failures are in verypoll.client.connections.closed"
                        + " with the connect-* and unresolved reasons").tags(tags).register(registry);
        FunctionCounter.builder("verypoll.client.reconnects", client, StreamClient::reconnects)
                .description("Connects the link started again after a close or a failure").tags(tags).register(registry);
        Gauge.builder("verypoll.client.connects.in.progress", client, StreamClient::connectsInProgress)
                .description("Connects resolving or connecting now").tags(tags).strongReference(true).register(registry);
        Gauge.builder("verypoll.client.link.connected", client, c -> c.isConnected() ? 1 : 0)
                .description("1 while the client's link is connected, else 0 (always 0 without a link)").tags(tags)
                .strongReference(true).register(registry);
        for (CloseReason reason : CloseReason.values()) {
            FunctionCounter.builder("verypoll.client.connections.closed", client, c -> c.closedConnections(reason))
                    .description("Closed connections by reason").tags(tags).tag("reason", reason.tag())
                    .register(registry);
        }
        if (client.isTls()) {
            for (TlsFailure cause : TlsFailure.values()) {
                FunctionCounter.builder("verypoll.client.tls.failures", client, c -> c.tlsFailures(cause))
                        .description("TLS failures by cause; each closed its connection (tls-error)").tags(tags)
                        .tag("cause", cause.tag()).register(registry);
            }
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
        bindDurations(registry, "verypoll.loop.wait", "Time blocked in the selector", loop.stats().waitTimes(), tags);
        bindDurations(registry, "verypoll.loop.cycle", "Time per loop iteration outside the selector (events, timers, tasks)",
                loop.stats().cycleTimes(), tags);
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

    /**
     * A timer's count and sum, its recent maximum, and its buckets as cumulative counters tagged
     * {@code le} (seconds). Micrometer has no meter that exports a histogram kept elsewhere (its
     * timers build their own from record() calls, which would cost the loop per iteration), so the
     * buckets are counters: in Prometheus {@code histogram_quantile} works on them as on any
     * {@code _bucket} series.
     */
    private static void bindDurations(MeterRegistry registry, String name, String description,
                                      DurationHistogram durations, Tags tags) {
        FunctionTimer.builder(name, durations, DurationHistogram::count, DurationHistogram::totalNanos,
                TimeUnit.NANOSECONDS).description(description).tags(tags).register(registry);
        TimeGauge.builder(name + ".max", durations, TimeUnit.NANOSECONDS, DurationHistogram::recentMaxNanos)
                .description(description + ": the longest of the last one to two minutes").tags(tags)
                .strongReference(true).register(registry);
        for (int i = 0; i < DurationHistogram.BUCKETS; i++) {
            int bucket = i;
            FunctionCounter.builder(name + ".histogram", durations, d -> d.cumulativeCount(bucket))
                    .description(description + ": how many took at most le seconds").tags(tags)
                    .tag("le", le(DurationHistogram.upperBoundNanos(bucket))).register(registry);
        }
    }

    /** Seconds, exact and without an exponent, as Prometheus writes its own bucket bounds. */
    private static String le(long upperBoundNanos) {
        return upperBoundNanos == Long.MAX_VALUE ? "+Inf"
                : BigDecimal.valueOf(upperBoundNanos, 9).stripTrailingZeros().toPlainString();
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
            Gauge.builder("verypoll.input.buffered", stream, StreamServer::bufferedInputBytes)
                    .description("Bytes held for incomplete frames (capped by max-buffered-input)").baseUnit(BaseUnits.BYTES)
                    .tags(tags).strongReference(true).register(registry);
            Gauge.builder("verypoll.offload.in.flight", stream, StreamServer::offloadsInFlight)
                    .description("Work offloaded by connections and not yet replied (running, done and waiting for an"
                            + " earlier reply, or waiting to start)").tags(tags).strongReference(true).register(registry);
            FunctionCounter.builder("verypoll.offload.dropped", stream, StreamServer::offloadsDropped)
                    .description("Offloaded work whose reply was dropped because its connection closed first")
                    .tags(tags).register(registry);
            if (stream.settings().sslBundle() != null) {
                for (TlsFailure cause : TlsFailure.values()) {
                    FunctionCounter.builder("verypoll.tls.failures", stream, s -> s.tlsFailures(cause))
                            .description("TLS failures by cause; each closed its connection (tls-error)").tags(tags)
                            .tag("cause", cause.tag()).register(registry);
                }
            }
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
