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
        return new TcpListener(SelectedBackend.get().tcpBind(address, backlog, false));
    }

    /**
     * Binds with {@code SO_REUSEADDR} and {@code SO_REUSEPORT} (set before the bind): several
     * listeners on one address and port, each with its own accept queue, and the kernel (Linux 3.9+)
     * spreads new connections among them by a hash of each connection's addresses. That is how one
     * listener per poll loop works (nginx's {@code reuseport}), on both backends. To share port 0,
     * bind the first listener to port 0 and the others to the port it got.
     *
     * <pre>{@code
     * TcpListener first = TcpListener.bindReusePort(new InetSocketAddress("127.0.0.1", 0), 1024);
     * TcpListener second = TcpListener.bindReusePort(first.localAddress(), 1024);
     * }</pre>
     *
     * <p>Beware: a second process of the same user that binds the same port with {@code
     * SO_REUSEPORT} succeeds too, and then takes a share of the connections, where a plain bind would
     * have failed with "address in use". Check that no other instance runs, or bind without it. A
     * listener that closes with connections still in its own queue resets them (the kernel does not
     * move them to another listener): accept what is queued before closing.
     *
     * @throws UnsupportedOperationException where the platform has no {@code SO_REUSEPORT}
     * @throws java.net.BindException if the port is bound without {@code SO_REUSEPORT}, or by another user
     */
    public static TcpListener bindReusePort(SocketAddress address, int backlog) throws IOException {
        Objects.requireNonNull(address, "address");
        return new TcpListener(SelectedBackend.get().tcpBind(address, backlog, true));
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
