package io.verypoll;

import io.verypoll.internal.RegistryAccess;
import io.verypoll.internal.SelectedBackend;
import io.verypoll.spi.IoSource;
import java.io.IOException;
import java.util.Objects;

/**
 * A raw file descriptor as a {@link Source}, on the epoll backend only: mio's {@code SourceFd}.
 * The descriptor stays yours: do its I/O yourself, call {@link #wouldBlock} when that I/O would
 * block (or that direction is not watched again), and deregister before you close it.
 *
 * <pre>{@code
 * FdSource source = FdSource.of(fd);   // a non-blocking descriptor from native code
 * poll.registry().register(source, token, Interest.READABLE);
 * // on a readable event: read(fd) until EAGAIN, then
 * source.wouldBlock(Interest.READABLE);
 * }</pre>
 *
 * On the NIO backend there is no way to watch a bare descriptor: {@link #of} throws {@link
 * UnsupportedOperationException}; wrap a {@link java.nio.channels.SelectableChannel} with {@link
 * ChannelSource} instead.
 */
public final class FdSource implements Source {
    private final IoSource io;
    private final int fd;

    private FdSource(IoSource io, int fd) {
        this.io = io;
        this.fd = fd;
    }

    /**
     * Watches {@code fd}, which must be open and should be non-blocking.
     *
     * @throws UnsupportedOperationException on the NIO backend
     * @throws IllegalArgumentException if {@code fd} is negative
     */
    public static FdSource of(int fd) throws IOException {
        if (fd < 0) {
            throw new IllegalArgumentException("a file descriptor is never negative, was " + fd);
        }
        return new FdSource(SelectedBackend.get().watch(fd), fd);
    }

    /** The descriptor, as given to {@link #of}. */
    public int fd() {
        return fd;
    }

    /** Your I/O in {@code direction} would block: watch that direction again. */
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

    @Override
    public String toString() {
        return "FdSource(" + fd + ")";
    }
}
