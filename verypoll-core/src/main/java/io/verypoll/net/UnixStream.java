package io.verypoll.net;

import io.verypoll.internal.SelectedBackend;
import io.verypoll.spi.IoSource;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.channels.UnsupportedAddressTypeException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A non-blocking Unix-domain stream socket: mio's {@code UnixStream}, with the same read, write
 * and shutdown rules as {@link TcpStream}.
 *
 * <pre>{@code
 * UnixStream[] ends = UnixStream.pair();
 * poll.registry().register(ends[0], A, Interest.READABLE);
 * ends[1].write(ByteBuffer.wrap("hi".getBytes()));   // A becomes readable
 * }</pre>
 */
public final class UnixStream extends SocketStream {
    UnixStream(IoSource io) {
        super(io);
    }

    /** Starts a non-blocking connect to the socket at {@code path}. */
    public static UnixStream connect(Path path) throws IOException {
        return connect(UnixDomainSocketAddress.of(Objects.requireNonNull(path, "path")));
    }

    /**
     * Starts a non-blocking connect to {@code address}: a {@link UnixDomainSocketAddress} (a socket
     * file) or, on the epoll backend, a {@link UnixAbstractAddress}; {@link #peerAddress()} gives it
     * back.
     *
     * @throws UnsupportedOperationException for a {@link UnixAbstractAddress} on the NIO backend,
     *     whose JDK channels connect to file paths only
     * @throws java.nio.channels.UnsupportedAddressTypeException for any other address
     */
    public static UnixStream connect(SocketAddress address) throws IOException {
        return new UnixStream(SelectedBackend.get().unixConnect(checkUnix(address)));
    }

    /** {@code address}, if it is a Unix-domain one. */
    static SocketAddress checkUnix(SocketAddress address) {
        Objects.requireNonNull(address, "address");
        if (!(address instanceof UnixDomainSocketAddress) && !(address instanceof UnixAbstractAddress)) {
            throw new UnsupportedAddressTypeException();
        }
        return address;
    }

    /**
     * Adopts a connected Unix-domain channel, made non-blocking.
     *
     * @throws UnsupportedOperationException on the epoll backend, which owns its sockets as raw
     *     descriptors: use {@link #connect} or {@link #pair} there
     */
    public static UnixStream fromChannel(SocketChannel channel) throws IOException {
        return new UnixStream(SelectedBackend.get().adopt(Objects.requireNonNull(channel, "channel")));
    }

    /**
     * Two connected ends. On epoll this is {@code socketpair(2)}; NIO has none, so there it connects
     * through a listener on a private temporary path that is deleted before returning.
     */
    public static UnixStream[] pair() throws IOException {
        IoSource[] ends = SelectedBackend.get().unixPair();
        return new UnixStream[] {new UnixStream(ends[0]), new UnixStream(ends[1])};
    }
}
