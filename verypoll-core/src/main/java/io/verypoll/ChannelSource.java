package io.verypoll;

import io.verypoll.internal.RegistryAccess;
import io.verypoll.internal.SelectedBackend;
import io.verypoll.spi.IoSource;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.SelectableChannel;
import java.util.Objects;

/**
 * Any {@link SelectableChannel}, for instance one made by another library, as a {@link Source}:
 * mio's {@code SourceFd}. You do the I/O on {@link #channel()} yourself, so tell the source when
 * it would block; otherwise that direction is not watched again.
 *
 * <pre>{@code
 * ChannelSource source = ChannelSource.of(someSocketChannel);
 * poll.registry().register(source, token, Interest.READABLE);
 * // on a readable event:
 * while (someSocketChannel.read(buffer) > 0) { consume(buffer); }
 * source.wouldBlock(Interest.READABLE); // the read returned 0: watch again
 * }</pre>
 *
 * Readiness maps to the channel's operations: READABLE is {@code OP_READ} (or {@code OP_ACCEPT}
 * on a server channel), WRITABLE is {@code OP_WRITE}. A {@code SocketChannel} with a connect in
 * progress gets it finished by the poll, as with {@link io.verypoll.net.TcpStream}. {@link #close()}
 * closes the channel.
 *
 * <p>On the epoll backend the source watches the channel's file descriptor, which the JDK keeps to
 * itself: it works only with {@code --add-exports java.base/sun.nio.ch=ALL-UNNAMED} (or {@code
 * =io.verypoll.epoll} on the module path), and {@link #of} throws {@link
 * UnsupportedOperationException} without it. Finish a connect in progress before wrapping the
 * channel there. For a raw descriptor use {@link FdSource}.
 */
public final class ChannelSource implements Source, Closeable {
    /** Held, not inherited: the backend's half stays out of the public type's signature. */
    private final IoSource io;
    private final SelectableChannel channel;

    private ChannelSource(IoSource io, SelectableChannel channel) {
        this.io = io;
        this.channel = channel;
    }

    /**
     * Wraps {@code channel} and switches it to non-blocking mode.
     *
     * @throws UncheckedIOException if the channel cannot be made non-blocking
     * @throws UnsupportedOperationException on the epoll backend, if the channel's descriptor is
     *     out of reach (see above)
     */
    public static ChannelSource of(SelectableChannel channel) {
        Objects.requireNonNull(channel, "channel");
        try {
            return new ChannelSource(SelectedBackend.get().watch(channel), channel);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make the channel non-blocking", e);
        }
    }

    public SelectableChannel channel() {
        return channel;
    }

    /** I/O in {@code direction} on {@link #channel()} would block: watch that direction again. */
    public void wouldBlock(Interest direction) {
        Objects.requireNonNull(direction, "direction");
        io.wouldBlock(direction);
    }

    @Override
    public void register(Registry registry, Token token, Interest interests) throws IOException {
        io.register(RegistryAccess.pollerOf(registry), token, interests);
    }

    @Override
    public void reregister(Registry registry, Token token, Interest interests) throws IOException {
        io.reregister(RegistryAccess.pollerOf(registry), token, interests);
    }

    @Override
    public void deregister(Registry registry) throws IOException {
        io.deregister(RegistryAccess.pollerOf(registry));
    }

    /** False once this source (or its channel) is closed. */
    public boolean isOpen() {
        return channel.isOpen();
    }

    /** Deregisters and closes; the descriptor is released at once, even while another thread polls. */
    @Override
    public void close() throws IOException {
        io.close();
    }
}
