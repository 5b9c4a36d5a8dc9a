package io.verypoll.net;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
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
    private UnixStream(SocketChannel channel) throws IOException {
        super(channel);
    }

    /** Starts a non-blocking connect to the socket at {@code path}. */
    public static UnixStream connect(Path path) throws IOException {
        Objects.requireNonNull(path, "path");
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.configureBlocking(false);
            channel.connect(UnixDomainSocketAddress.of(path));
            return new UnixStream(channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Adopts a connected Unix-domain channel, made non-blocking. */
    public static UnixStream fromChannel(SocketChannel channel) throws IOException {
        return new UnixStream(Objects.requireNonNull(channel, "channel"));
    }

    /**
     * Two connected ends. NIO has no {@code socketpair}, so this connects through a listener on a
     * private temporary path that is deleted before returning.
     */
    public static UnixStream[] pair() throws IOException {
        Path dir = Files.createTempDirectory("verypoll-pair");
        Path path = dir.resolve("s");
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(path), 1);
            SocketChannel a = SocketChannel.open(UnixDomainSocketAddress.of(path));
            try {
                SocketChannel b = listener.accept();
                return new UnixStream[] {new UnixStream(a), new UnixStream(b)};
            } catch (IOException | RuntimeException e) {
                a.close();
                throw e;
            }
        } finally {
            Files.deleteIfExists(path);
            Files.deleteIfExists(dir);
        }
    }
}
