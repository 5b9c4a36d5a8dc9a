package io.verypoll.net;

import io.verypoll.internal.SelectedBackend;
import io.verypoll.spi.IoSource;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.Objects;

/**
 * A non-blocking TCP listener: mio's {@code TcpListener}. Readable means connections are pending:
 * accept until {@link #accept()} returns null.
 *
 * <pre>{@code
 * TcpListener listener = TcpListener.bind(new InetSocketAddress("127.0.0.1", 7000));
 * poll.registry().register(listener, SERVER, Interest.READABLE);
 * // on a readable event for SERVER:
 * TcpStream stream;
 * while ((stream = listener.accept()) != null) {
 *     poll.registry().register(stream, nextToken(), Interest.READABLE);
 * }
 * }</pre>
 */
public final class TcpListener extends SocketListener<TcpStream> {
    private TcpListener(IoSource io) {
        super(io);
    }

    /** Binds with {@code SO_REUSEADDR} and a backlog of 1024. */
    public static TcpListener bind(SocketAddress address) throws IOException {
        return bind(address, 1024);
    }

    public static TcpListener bind(SocketAddress address, int backlog) throws IOException {
        Objects.requireNonNull(address, "address");
        return new TcpListener(SelectedBackend.get().tcpBind(address, backlog));
    }

    /**
     * Adopts a bound server channel (made non-blocking).
     *
     * @throws UnsupportedOperationException on the epoll backend, which owns its sockets as raw
     *     descriptors: use {@link #bind} there
     */
    public static TcpListener fromChannel(ServerSocketChannel channel) throws IOException {
        return new TcpListener(SelectedBackend.get().adopt(Objects.requireNonNull(channel, "channel")));
    }

    @Override
    TcpStream wrap(IoSource accepted) {
        return new TcpStream(accepted);
    }
}
