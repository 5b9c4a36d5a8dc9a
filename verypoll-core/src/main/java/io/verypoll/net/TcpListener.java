package io.verypoll.net;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
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
    private TcpListener(ServerSocketChannel channel) throws IOException {
        super(channel);
    }

    /** Binds with {@code SO_REUSEADDR} and a backlog of 1024. */
    public static TcpListener bind(SocketAddress address) throws IOException {
        return bind(address, 1024);
    }

    public static TcpListener bind(SocketAddress address, int backlog) throws IOException {
        Objects.requireNonNull(address, "address");
        ServerSocketChannel channel = ServerSocketChannel.open();
        try {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            channel.bind(address, backlog);
            return new TcpListener(channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Adopts a bound server channel (made non-blocking). */
    public static TcpListener fromChannel(ServerSocketChannel channel) throws IOException {
        return new TcpListener(Objects.requireNonNull(channel, "channel"));
    }

    @Override
    TcpStream wrap(SocketChannel accepted) throws IOException {
        return TcpStream.fromChannel(accepted);
    }
}
