package io.verypoll.net;

import io.verypoll.internal.SelectedBackend;
import io.verypoll.spi.IoSource;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.util.Objects;

/**
 * A non-blocking TCP connection: mio's {@code TcpStream}, and a {@link java.nio.channels.ByteChannel}.
 * Reads return 0 when they would block and -1 at end of stream; writes return 0 when they would
 * block. Only then is that direction watched again.
 *
 * <pre>{@code
 * TcpStream stream = TcpStream.connect(new InetSocketAddress("127.0.0.1", 7000));
 * poll.registry().register(stream, CLIENT, Interest.READABLE.add(Interest.WRITABLE));
 * // first writable event: connected, unless takeError() says otherwise
 * ByteBuffer buf = ByteBuffer.allocate(4096);
 * int n;
 * while ((n = stream.read(buf)) > 0) { buf.flip(); consume(buf); buf.clear(); }
 * if (n < 0) { stream.close(); }      // end of stream
 * }</pre>
 *
 * <p>A connect completes inside the poll: a writable event with {@link #takeError()} null means
 * connected; a refused connect gives writable and error, and {@code takeError()} returns the cause
 * (on NIO the JDK has closed the channel by then). Reads and writes during the connect return 0.
 */
public final class TcpStream extends SocketStream {
    TcpStream(IoSource io) {
        super(io);
    }

    /** Starts a non-blocking connect. */
    public static TcpStream connect(SocketAddress address) throws IOException {
        Objects.requireNonNull(address, "address");
        return new TcpStream(SelectedBackend.get().tcpConnect(address));
    }

    /**
     * Adopts a connected (or connecting) channel, made non-blocking.
     *
     * @throws UnsupportedOperationException on the epoll backend, which owns its sockets as raw
     *     descriptors: use {@link #connect} there
     */
    public static TcpStream fromChannel(SocketChannel channel) throws IOException {
        return new TcpStream(SelectedBackend.get().adopt(Objects.requireNonNull(channel, "channel")));
    }

    public void setNodelay(boolean on) throws IOException {
        io.setOption(StandardSocketOptions.TCP_NODELAY, on);
    }

    public boolean nodelay() throws IOException {
        return io.getOption(StandardSocketOptions.TCP_NODELAY);
    }
}
