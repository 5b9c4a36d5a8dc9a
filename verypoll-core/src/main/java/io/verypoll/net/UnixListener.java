package io.verypoll.net;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
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
    private UnixListener(ServerSocketChannel channel) throws IOException {
        super(channel);
    }

    public static UnixListener bind(Path path) throws IOException {
        Objects.requireNonNull(path, "path");
        ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.bind(UnixDomainSocketAddress.of(path), 1024);
            return new UnixListener(channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Adopts a bound Unix-domain server channel (made non-blocking). */
    public static UnixListener fromChannel(ServerSocketChannel channel) throws IOException {
        return new UnixListener(Objects.requireNonNull(channel, "channel"));
    }

    @Override
    UnixStream wrap(SocketChannel accepted) throws IOException {
        return UnixStream.fromChannel(accepted);
    }
}
