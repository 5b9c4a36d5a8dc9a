package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.PollLoop;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a {@link Connection} needs from whoever opened it: a {@link StreamServer} for accepted
 * connections, a {@link StreamClient} for outbound ones. The connection's machinery (state machine,
 * input, output, framing, offloads) is the same for both and talks to its owner only through here.
 * Package-private, implemented by {@link ServerConnectionOwner} and {@link ClientConnectionOwner}, so none
 * of it becomes public API of the server or the client.
 */
interface ConnectionOwner {

    /** The server's or client's name, for logs. */
    String name();

    /** "server" or "client", for logs. */
    String role();

    /** The settings connections read when they open and on their timers. */
    ServerSettings settings();

    /** The server of an accepted connection, else null. */
    default StreamServer server() {
        return null;
    }

    /** The client of an outbound connection, else null. */
    default StreamClient client() {
        return null;
    }

    /** The connection is registered on its loop. */
    void connectionOpened(Connection connection);

    /** The connection could not even register: it never opened. */
    void connectionAbandoned(Connection connection);

    /** The connection closed (after {@link #connectionOpened}). */
    void connectionClosed(Connection connection);

    /** What {@code loop}'s connections share to batch writes and hand on frames. */
    WriteBatch writeBatch(PollLoop loop);

    /** Where {@link Connection#offload} runs work. */
    Executor offloadExecutorForUse();

    /** Bytes held for incomplete frames over all the owner's connections: what max-buffered-input caps. */
    AtomicLong bufferedInput();
}
