package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.PollLoop;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link StreamServer} as its accepted connections' {@link ConnectionOwner}: package-private, so the
 * seam adds nothing to the server's public API.
 */
final class ServerConnectionOwner implements ConnectionOwner {

    private final StreamServer server;

    ServerConnectionOwner(StreamServer server) {
        this.server = server;
    }

    @Override
    public String name() {
        return server.name();
    }

    @Override
    public String role() {
        return "server";
    }

    @Override
    public ServerSettings settings() {
        return server.settings();
    }

    @Override
    public StreamServer server() {
        return server;
    }

    @Override
    public void connectionOpened(Connection connection) {
        server.connectionOpened(connection);
    }

    @Override
    public void connectionAbandoned(Connection connection) {
        server.connectionAbandoned();
    }

    @Override
    public void connectionClosed(Connection connection) {
        server.connectionClosed(connection);
    }

    @Override
    public WriteBatch writeBatch(PollLoop loop) {
        return server.writeBatch(loop);
    }

    @Override
    public Executor offloadExecutorForUse() {
        return server.offloadExecutorForUse();
    }

    @Override
    public AtomicLong bufferedInput() {
        return server.bufferedInput;
    }
}
