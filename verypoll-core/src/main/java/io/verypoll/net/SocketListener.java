package io.verypoll.net;

import io.verypoll.Interest;
import io.verypoll.Registry;
import io.verypoll.Source;
import io.verypoll.Token;
import io.verypoll.internal.RegistryAccess;
import io.verypoll.spi.IoSource;
import java.io.Closeable;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;

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
    /** Held, not inherited: the backend's half stays out of the public type's signature. */
    final IoSource io;

    SocketListener(IoSource io) {
        this.io = io;
    }

    /**
     * The underlying channel, for options this API does not wrap.
     *
     * @throws UnsupportedOperationException on the epoll backend, which has no JDK channel
     */
    public final ServerSocketChannel channel() {
        return (ServerSocketChannel) io.channel();
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
        IoSource accepted = io.accept();
        return accepted == null ? null : wrap(accepted);
    }

    abstract S wrap(IoSource accepted);

    public final SocketAddress localAddress() throws IOException {
        return io.localAddress();
    }

    @Override
    public final void register(Registry registry, Token token, Interest interests) throws IOException {
        io.register(RegistryAccess.pollerOf(registry), token, interests);
    }

    @Override
    public final void reregister(Registry registry, Token token, Interest interests) throws IOException {
        io.reregister(RegistryAccess.pollerOf(registry), token, interests);
    }

    @Override
    public final void deregister(Registry registry) throws IOException {
        io.deregister(RegistryAccess.pollerOf(registry));
    }

    /** False once this source (or its channel) is closed. */
    public final boolean isOpen() {
        return io.isOpen();
    }

    /** Deregisters and closes; the descriptor is released at once, even while another thread polls. */
    @Override
    public final void close() throws IOException {
        io.close();
    }
}
