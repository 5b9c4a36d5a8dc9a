package io.verypoll.net;

import io.verypoll.internal.SelectedBackend;
import io.verypoll.spi.IoSource;
import java.io.IOException;
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
 * not delete the file.
 */
public final class UnixListener extends SocketListener<UnixStream> {
    private UnixListener(IoSource io) {
        super(io);
    }

    public static UnixListener bind(Path path) throws IOException {
        Objects.requireNonNull(path, "path");
        return new UnixListener(SelectedBackend.get().unixBind(path, 1024));
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
