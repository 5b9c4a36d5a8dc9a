package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.PollLoop;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link StreamClient} as its outbound connections' {@link ConnectionOwner}: package-private, as
 * {@link ServerConnectionOwner} is for servers.
 */
final class ClientConnectionOwner implements ConnectionOwner {

    private final StreamClient client;

    ClientConnectionOwner(StreamClient client) {
        this.client = client;
    }

    @Override
    public String name() {
        return client.name();
    }

    @Override
    public String role() {
        return "client";
    }

    @Override
    public ServerSettings settings() {
        return client.settings().connection();
    }

    @Override
    public StreamClient client() {
        return client;
    }

    @Override
    public void connectionOpened(Connection connection) {
        client.connectionOpened(connection);
    }

    @Override
    public void connectionAbandoned(Connection connection) {
        client.connectionAbandoned(connection);
    }

    @Override
    public void connectionClosed(Connection connection) {
        client.connectionClosed(connection);
    }

    @Override
    public WriteBatch writeBatch(PollLoop loop) {
        return client.writeBatch(loop);
    }

    @Override
    public Executor offloadExecutorForUse() {
        return client.offloadExecutorForUse();
    }

    @Override
    public AtomicLong bufferedInput() {
        return client.bufferedInput();
    }
}
