package io.verypoll.net;

import io.verypoll.internal.SelectedBackend;
import io.verypoll.spi.IoSource;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A non-blocking Unix-domain stream listener: mio's {@code UnixListener}.
 *
 * <pre>{@code
 * UnixListener listener = UnixListener.bind(Path.of("/tmp/app.sock"));
 * poll.registry().register(listener, SERVER, Interest.READABLE);
 * UnixStream stream = listener.accept(); // null: would block
 * }</pre>
 *
 * Binding fails if the path exists (a stale socket file is not removed for you), and closing does
 * not delete the file. On the epoll backend it can bind a name in Linux's abstract namespace
 * instead, which has no file and is gone with the last socket bound to it:
 *
 * <pre>{@code
 * UnixListener listener = UnixListener.bind(UnixAbstractAddress.of("app"));
 * UnixStream client = UnixStream.connect(UnixAbstractAddress.of("app"));
 * }</pre>
 */
public final class UnixListener extends SocketListener<UnixStream> {
    private UnixListener(IoSource io) {
        super(io);
    }

    public static UnixListener bind(Path path) throws IOException {
        return bind(UnixDomainSocketAddress.of(Objects.requireNonNull(path, "path")));
    }

    /**
     * Binds to {@code address}: a {@link UnixDomainSocketAddress} (a socket file) or a {@link
     * UnixAbstractAddress}; {@link #localAddress()} gives it back.
     *
     * @throws UnsupportedOperationException for a {@link UnixAbstractAddress} on the NIO backend,
     *     whose JDK channels bind file paths only
     * @throws java.nio.channels.UnsupportedAddressTypeException for any other address
     * @throws java.net.BindException if the file or name is taken
     */
    public static UnixListener bind(SocketAddress address) throws IOException {
        return new UnixListener(SelectedBackend.get().unixBind(UnixStream.checkUnix(address), 1024));
    }

    /**
     * Adopts a bound Unix-domain server channel (made non-blocking).
     *
     * @throws UnsupportedOperationException on the epoll backend, which owns its sockets as raw
     *     descriptors: use {@link #bind} there
     */
    public static UnixListener fromChannel(ServerSocketChannel channel) throws IOException {
        return new UnixListener(SelectedBackend.get().adopt(Objects.requireNonNull(channel, "channel")));
    }

    @Override
    UnixStream wrap(IoSource accepted) {
        return new UnixStream(accepted);
    }
}
