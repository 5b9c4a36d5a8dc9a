package io.verypoll.epoll;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.channels.SelectableChannel;

/**
 * A descriptor whose I/O someone else does: a raw one ({@code FdSource}, never closed here) or a
 * JDK channel's ({@code ChannelSource}, closed through the channel). The caller reports would-block
 * with {@code wouldBlock}, which re-arms as an I/O call of the backend would.
 */
final class WatchedSource extends EpollSource {
    private final SelectableChannel channel;

    private WatchedSource(Fd fd, SelectableChannel channel) {
        super(fd, 0, false);
        this.channel = channel;
    }

    static WatchedSource of(int fd) {
        return new WatchedSource(new Fd(fd), null);
    }

    /**
     * The channel's descriptor, read through {@code sun.nio.ch.SelChImpl.getFDVal()}: the JDK does
     * not export it, so this needs {@code --add-exports java.base/sun.nio.ch=ALL-UNNAMED} (or
     * {@code =io.verypoll.epoll} on the module path).
     */
    static WatchedSource of(SelectableChannel channel) throws IOException {
        int fd;
        try {
            Method getFd = Class.forName("sun.nio.ch.SelChImpl").getMethod("getFDVal");
            fd = (int) getFd.invoke(channel);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new UnsupportedOperationException("ChannelSource on the epoll backend needs the channel's file descriptor,"
                    + " which the JDK keeps to itself: run with --add-exports java.base/sun.nio.ch="
                    + (WatchedSource.class.getModule().isNamed() ? "io.verypoll.epoll" : "ALL-UNNAMED")
                    + ", or use the nio backend (-Dverypoll.backend=nio) (" + e + ")", e);
        }
        channel.configureBlocking(false);
        return new WatchedSource(new Fd(fd), channel);
    }

    @Override
    public SelectableChannel channel() {
        return channel != null ? channel : super.channel();
    }

    @Override
    public boolean isOpen() {
        return channel != null ? channel.isOpen() : super.isOpen();
    }

    /** Deregisters; a channel is closed, a raw descriptor stays its owner's. */
    @Override
    public void close() throws IOException {
        closeRegistration();
        if (channel != null) {
            channel.close();
        }
    }
}
