package io.verypoll.net;

import io.verypoll.internal.ChannelBackedSource;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/** What TCP and Unix-domain listeners share. */
abstract class SocketListener<S> extends ChannelBackedSource {
    final ServerSocketChannel channel;

    SocketListener(ServerSocketChannel channel) throws IOException {
        super(channel);
        channel.configureBlocking(false);
        this.channel = channel;
    }

    /** The underlying channel, for options this API does not wrap. */
    public ServerSocketChannel channel() {
        return channel;
    }

    /**
     * Accepts one pending connection.
     *
     * <p>An error (such as "too many open files") is thrown and leaves the listener unwatched,
     * because the pending connection would make the selector report it at once, again and again.
     * Retry {@code accept} later, or {@code reregister}, to watch it again.
     *
     * @return the connection, non-blocking; null if none is pending (would block)
     */
    public S accept() throws IOException {
        SocketChannel accepted = channel.accept();
        if (accepted == null) {
            state.afterRead(0, true);
            return null;
        }
        try {
            return wrap(accepted);
        } catch (IOException | RuntimeException e) {
            accepted.close();
            throw e;
        }
    }

    abstract S wrap(SocketChannel accepted) throws IOException;

    public SocketAddress localAddress() throws IOException {
        return channel.getLocalAddress();
    }
}
