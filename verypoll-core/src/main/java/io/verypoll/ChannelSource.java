package io.verypoll;

import io.verypoll.internal.ChannelState;
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
 */
public final class ChannelSource implements Source, Closeable {
    /** Held, not inherited: the internal half stays out of the public type's signature. */
    private final ChannelState state;

    private ChannelSource(SelectableChannel channel) {
        this.state = new ChannelState(channel);
    }

    /**
     * Wraps {@code channel} and switches it to non-blocking mode.
     *
     * @throws UncheckedIOException if the channel cannot be made non-blocking
     */
    public static ChannelSource of(SelectableChannel channel) {
        Objects.requireNonNull(channel, "channel");
        try {
            channel.configureBlocking(false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make the channel non-blocking", e);
        }
        return new ChannelSource(channel);
    }

    public SelectableChannel channel() {
        return state.channel();
    }

    /** I/O in {@code direction} on {@link #channel()} would block: watch that direction again. */
    public void wouldBlock(Interest direction) {
        state.wouldBlock(direction);
    }

    @Override
    public void register(Registry registry, Token token, Interest interests) throws IOException {
        state.register(registry, token, interests);
    }

    @Override
    public void reregister(Registry registry, Token token, Interest interests) throws IOException {
        state.reregister(registry, token, interests);
    }

    @Override
    public void deregister(Registry registry) throws IOException {
        state.deregister(registry);
    }

    /** False once this source (or its channel) is closed. */
    public boolean isOpen() {
        return state.channel().isOpen();
    }

    /** Deregisters and closes; the descriptor is released at once, even while another thread polls. */
    @Override
    public void close() throws IOException {
        state.close();
    }
}
