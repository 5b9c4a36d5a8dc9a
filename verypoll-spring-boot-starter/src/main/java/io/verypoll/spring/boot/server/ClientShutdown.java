package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.PollLoop;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * How a {@link StreamClient}'s connections end: at a stop on every loop at once (the link stops, connects
 * in progress fail, connections close gracefully, what is left is closed at once), and with a loop whose
 * machinery failed. Apart from the client, which keeps its state and its public face; this class walks
 * the loops.
 */
final class ClientShutdown {

    private final StreamClient client;

    ClientShutdown(StreamClient client) {
        this.client = client;
    }

    /**
     * The client's part of {@link StreamClient#stop}: closes gracefully, waits up to {@code timeout}, then
     * closes what is left at once. Returns the count of those, which late loop tasks may still raise.
     */
    AtomicInteger closeAll(Duration timeout) {
        ClientLink l = client.link;
        onEveryLoop(loop -> {
            if (l != null && l.loop() == loop) {
                l.stop();
            }
            StreamClient.PerLoop per = client.loops[loop.index()];
            for (OutboundConnect attempt : List.copyOf(per.attempts)) {
                attempt.cancel(CloseReason.SHUTDOWN);
            }
            per.connections.forEachCopy(Connection::shutdownGracefully);
        }, timeout);
        long deadline = System.nanoTime() + timeout.toNanos();
        while ((client.active.get() > 0 || client.connecting.get() > 0) && System.nanoTime() - deadline < 0) {
            // Bounded: connections finishing their graceful close.
            try {
                TimeUnit.MILLISECONDS.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        AtomicInteger forced = new AtomicInteger();
        onEveryLoop(loop -> client.loops[loop.index()].connections.forEachCopy(connection -> {
            connection.forceClose();
            forced.incrementAndGet();
        }), timeout);
        return forced;
    }

    /**
     * On the thread of a loop whose machinery failed: its connects fail and its connections close
     * ({@link CloseReason#LOOP_FAILED}); a link it served starts again on a loop that still runs.
     */
    void loopFailed(PollLoop failed) {
        ClientLink l = client.link;
        boolean moveLink = l != null && l.loop() == failed;
        if (moveLink) {
            l.stop();
        }
        StreamClient.PerLoop per = client.loops[failed.index()];
        for (OutboundConnect attempt : List.copyOf(per.attempts)) {
            attempt.cancel(CloseReason.LOOP_FAILED);
        }
        per.connections.forEachCopy(Connection::loopFailed);
        if (moveLink && client.takesConnects()) {
            ClientLink moved = new ClientLink(client, client.group.next(), client.handlerFactory, client.settings().reconnect());
            client.link = moved;
            moved.start();
        }
    }

    private void onEveryLoop(Consumer<PollLoop> action, Duration timeout) {
        CountDownLatch done = new CountDownLatch(client.group.loops().size());
        for (PollLoop loop : client.group.loops()) {
            Runnable task = () -> {
                try {
                    action.accept(loop);
                } finally {
                    done.countDown();
                }
            };
            if (!loop.runtime().executeInternal(task)) {
                done.countDown();
            }
        }
        try {
            done.await(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
