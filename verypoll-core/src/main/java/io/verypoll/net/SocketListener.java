package io.verypoll.net;

import io.verypoll.Interest;
import io.verypoll.Registry;
import io.verypoll.Source;
import io.verypoll.Token;
import io.verypoll.internal.ChannelState;
import java.io.Closeable;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * A non-blocking stream listener, TCP or Unix-domain: what {@link TcpListener} and {@link
 * UnixListener} share, for code that serves both (the counterpart of {@link SocketStream}).
 *
 * <pre>{@code
 * SocketListener<?> listener = useUnix ? UnixListener.bind(path) : TcpListener.bind(address);
 * poll.registry().register(listener, SERVER, Interest.READABLE);
 * // on a readable event for SERVER:
 * SocketStream stream;
 * while ((stream = listener.accept()) != null) {
 *     poll.registry().register(stream, nextToken(), Interest.READABLE);
 * }
 * }</pre>
 *
 * @param <S> the stream type that {@link #accept()} returns
 */
public abstract sealed class SocketListener<S extends SocketStream> implements Source, Closeable
        permits TcpListener, UnixListener {
    final ServerSocketChannel channel;
    /** Held, not inherited: the internal half stays out of the public type's signature. */
    private final ChannelState state;

    SocketListener(ServerSocketChannel channel) throws IOException {
        channel.configureBlocking(false);
        this.channel = channel;
        this.state = new ChannelState(channel);
    }

    /** The underlying channel, for options this API does not wrap. */
    public final ServerSocketChannel channel() {
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
    public final S accept() throws IOException {
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

    public final SocketAddress localAddress() throws IOException {
        return channel.getLocalAddress();
    }

    @Override
    public final void register(Registry registry, Token token, Interest interests) throws IOException {
        state.register(registry, token, interests);
    }

    @Override
    public final void reregister(Registry registry, Token token, Interest interests) throws IOException {
        state.reregister(registry, token, interests);
    }

    @Override
    public final void deregister(Registry registry) throws IOException {
        state.deregister(registry);
    }

    /** False once this source (or its channel) is closed. */
    public final boolean isOpen() {
        return channel.isOpen();
    }

    /** Deregisters and closes; the descriptor is released at once, even while another thread polls. */
    @Override
    public final void close() throws IOException {
        state.close();
    }
}
