package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.LoopTimer;

/**
 * One reusable timer per connection, re-armed from the last activity instead of per I/O. Open, it
 * is the idle timeout (and, while a layer sets up, the handshake timeout). Lingering, it closes once the peer has been quiet for the linger timeout
 * (the normal end: a peer that says nothing more cannot make the close reset), or, for a peer that
 * keeps sending after the end of stream, at the idle timeout counted from the last useful I/O.
 */
final class ConnectionTimer extends LoopTimer {

    private final ConnectionStateMachine connection;

    ConnectionTimer(ConnectionStateMachine connection) {
        this.connection = connection;
    }

    void armForIdle() {
        ServerSettings settings = connection.settings;
        if (connection.awaitingSetup()) {
            long deadline = connection.setupDeadlineNanos();
            if (!settings.idleTimeout().isZero()) {
                deadline = Math.min(deadline, connection.lastActivityNanos() + settings.idleTimeout().toNanos());
            }
            connection.runtime.armTimer(this, deadline);
        } else if (!settings.idleTimeout().isZero()) {
            connection.runtime.armTimer(this, connection.lastActivityNanos() + settings.idleTimeout().toNanos());
        }
    }

    void armForLinger() {
        ServerSettings settings = connection.settings;
        long quietEnd = connection.lastInputNanos() + settings.lingerTimeout().toNanos();
        long deadline = settings.idleTimeout().isZero() ? quietEnd
                : Math.min(quietEnd, connection.lastActivityNanos() + settings.idleTimeout().toNanos());
        connection.runtime.armTimer(this, deadline);
    }

    @Override
    protected void fire() {
        ServerSettings settings = connection.settings;
        long now = System.nanoTime();
        switch (connection.state()) {
            case CLOSED -> {
            }
            case LINGERING -> {
                if (now - connection.lastInputNanos() >= settings.lingerTimeout().toNanos()) {
                    connection.closeNow(connection.closingReason(), null);
                } else if (!settings.idleTimeout().isZero()
                        && now - connection.lastActivityNanos() >= settings.idleTimeout().toNanos()) {
                    connection.closeNow(CloseReason.LINGER_TIMEOUT, null);
                } else {
                    armForLinger();
                }
            }
            default -> {
                if (connection.awaitingSetup() && now - connection.setupDeadlineNanos() >= 0) {
                    connection.setupTimedOut();
                } else if (!settings.idleTimeout().isZero()
                        && now - connection.lastActivityNanos() >= settings.idleTimeout().toNanos()) {
                    connection.closeNow(CloseReason.IDLE_TIMEOUT, null);
                } else {
                    armForIdle();
                }
            }
        }
    }
}
