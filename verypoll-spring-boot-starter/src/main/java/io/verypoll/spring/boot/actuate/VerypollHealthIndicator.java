package io.verypoll.spring.boot.actuate;

import io.verypoll.spring.boot.context.VerypollLifecycle;
import io.verypoll.spring.boot.loop.PollLoop;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.server.StreamClient;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * UP while every loop thread runs and none is stuck in one iteration past the blocked threshold; DOWN
 * otherwise, naming the loop (and a failed loop's cause). OUT_OF_SERVICE from the moment a graceful
 * shutdown stops accepting, so a readiness group that includes it refuses traffic then. Loops that
 * have not started (nothing uses them yet) are UP and say so.
 *
 * <p>Clients: each client bean with a link is listed under {@code links} with its target and whether it
 * is connected, and a running link that is not connected (connecting, or waiting to reconnect) makes
 * the status DOWN: an application that keeps a link needs it. A client without a link does not count
 * (its connections come and go with the work). To keep a backend's outage out of a readiness group,
 * leave {@code verypoll} out of it, or turn the link off and connect on demand.
 */
public class VerypollHealthIndicator extends AbstractHealthIndicator {

    private final PollLoopGroup group;
    private final VerypollLifecycle lifecycle;

    /**
     * @param lifecycle the servers' lifecycle, or null when the group serves no server beans
     */
    public VerypollHealthIndicator(PollLoopGroup group, VerypollLifecycle lifecycle) {
        super("verypoll health check failed");
        this.group = group;
        this.lifecycle = lifecycle;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        if (lifecycle != null && lifecycle.state() == VerypollLifecycle.State.DRAINING) {
            builder.withDetail("state", "draining").outOfService();
            return;
        }
        if (!group.isStarted()) {
            builder.withDetail("state", group.isStopped() ? "stopped" : "not started");
            if (group.isStopped()) {
                builder.outOfService();
            } else {
                builder.up();
            }
            return;
        }
        boolean healthy = true;
        List<Map<String, Object>> loops = new ArrayList<>();
        for (PollLoop loop : group.loops()) {
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("thread", loop.threadName());
            boolean running = loop.isRunning();
            boolean blocked = running && loop.isBlocked();
            details.put("running", running);
            details.put("blocked", blocked);
            if (blocked) {
                details.put("blockedForMs", TimeUnit.NANOSECONDS.toMillis(loop.busyNanos()));
            }
            if (loop.failure() != null) {
                details.put("failure", loop.failure().toString());
            }
            details.put("registrations", loop.registrations());
            details.put("pendingTasks", loop.pendingTasks());
            healthy &= running && !blocked;
            loops.add(details);
        }
        builder.withDetail("loops", loops);
        if (lifecycle != null && !lifecycle.clients().isEmpty()) {
            Map<String, Object> clients = new LinkedHashMap<>();
            for (StreamClient client : lifecycle.clients()) {
                if (client.hasLink()) {
                    boolean connected = client.isConnected();
                    clients.put(client.name(), Map.of("target", client.target(), "connected", connected));
                    healthy &= connected || !client.isRunning();
                }
            }
            if (!clients.isEmpty()) {
                builder.withDetail("links", clients);
            }
        }
        if (healthy) {
            builder.up();
        } else {
            builder.down();
        }
    }
}
