package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.LoopTimer;
import io.verypoll.spring.boot.loop.PollLoop;

import java.util.concurrent.ThreadLocalRandom;

/**
 * A client's long-lived connection: connected at start, and again with {@link Backoff} after every
 * close or failed connect until the client stops. Lives on one loop; this timer is the wait before
 * the next connect. The failures in a row set the delay; a connection that stayed open for the
 * policy's {@code resetAfter} starts them from zero.
 */
final class ClientLink extends LoopTimer implements OutboundConnect.Listener {

    enum Phase { CONNECTING, CONNECTED, WAITING, STOPPED }

    private final StreamClient client;
    private final PollLoop loop;
    private final ConnectionHandlerFactory factory;
    private final Backoff backoff;
    private volatile Phase phase = Phase.CONNECTING;
    private volatile Connection connection;
    private int failuresInRow;
    private long openedNanos;

    ClientLink(StreamClient client, PollLoop loop, ConnectionHandlerFactory factory, Backoff backoff) {
        this.client = client;
        this.loop = loop;
        this.factory = factory;
        this.backoff = backoff;
    }

    PollLoop loop() {
        return loop;
    }

    Phase phase() {
        return phase;
    }

    /** Failed connects (and unstable connections) since the last stable one: what the next delay grows with. */
    int failuresInRow() {
        return failuresInRow;
    }

    /** Connected, and past its setup (a TLS handshake): the handler is open. */
    boolean isConnected() {
        Connection c = connection;
        return phase == Phase.CONNECTED && c != null && !c.machine().awaitingSetup();
    }

    Connection connection() {
        return isConnected() ? connection : null;
    }

    /** Any thread: the first connect. */
    void start() {
        client.startConnect(loop, factory, this);
    }

    /** On the loop: no more reconnects. */
    void stop() {
        phase = Phase.STOPPED;
        loop.runtime().cancelTimer(this);
    }

    @Override
    public void opened(Connection opened) {
        if (phase == Phase.STOPPED) {
            return;
        }
        connection = opened;
        openedNanos = loop.runtime().now();
        phase = Phase.CONNECTED;
    }

    @Override
    public void failed(CloseReason reason) {
        if (phase != Phase.STOPPED) {
            scheduleReconnect();
        }
    }

    /** A connection of the client closed (or never registered); the link's own one means reconnecting. */
    void closed(Connection closed) {
        if (closed != connection) {
            return;
        }
        connection = null;
        if (phase == Phase.STOPPED) {
            return;
        }
        if (System.nanoTime() - openedNanos >= backoff.resetAfter().toNanos()) {
            failuresInRow = 0; // it was stable: start from the initial delay again
        }
        scheduleReconnect();
    }

    private void scheduleReconnect() {
        if (!backoff.reconnects() || !client.takesConnects()) {
            phase = Phase.STOPPED;
            return;
        }
        long delay = backoff.delayNanos(failuresInRow, ThreadLocalRandom.current()::nextDouble);
        if (failuresInRow < Integer.MAX_VALUE) {
            failuresInRow++;
        }
        phase = Phase.WAITING;
        loop.runtime().armTimer(this, System.nanoTime() + delay);
    }

    @Override
    protected void fire() {
        if (phase != Phase.WAITING || !client.takesConnects()) {
            return;
        }
        phase = Phase.CONNECTING;
        client.reconnects.incrementAndGet();
        client.startConnect(loop, factory, this);
    }
}
