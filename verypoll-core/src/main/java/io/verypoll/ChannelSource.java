package io.verypoll;

import io.verypoll.internal.ChannelBackedSource;
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
public final class ChannelSource extends ChannelBackedSource {
    private ChannelSource(SelectableChannel channel) {
        super(channel);
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
}
