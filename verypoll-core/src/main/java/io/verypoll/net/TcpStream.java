package io.verypoll.net;

import io.verypoll.internal.SelectedBackend;
import io.verypoll.spi.IoSource;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;

/**
 * A non-blocking TCP connection: mio's {@code TcpStream}, and a {@link java.nio.channels.ByteChannel}.
 * Reads return 0 when they would block and -1 at end of stream; writes return 0 when they would
 * block. Only then is that direction watched again.
 *
 * <pre>{@code
 * TcpStream stream = TcpStream.connect(new InetSocketAddress("127.0.0.1", 7000));
 * poll.registry().register(stream, CLIENT, Interest.READABLE.add(Interest.WRITABLE));
 * // first writable event: connected, unless takeError() says otherwise
 * ByteBuffer buf = ByteBuffer.allocate(4096);
 * int n;
 * while ((n = stream.read(buf)) > 0) { buf.flip(); consume(buf); buf.clear(); }
 * if (n < 0) { stream.close(); }      // end of stream
 * }</pre>
 *
 * <p>A connect completes inside the poll: a writable event with {@link #takeError()} null means
 * connected; a refused connect gives writable and error, and {@code takeError()} returns the cause
 * (on NIO the JDK has closed the channel by then). Reads and writes during the connect return 0.
 */
public final class TcpStream extends SocketStream {
    TcpStream(IoSource io) {
        super(io);
    }

    /** Starts a non-blocking connect. */
    public static TcpStream connect(SocketAddress address) throws IOException {
        Objects.requireNonNull(address, "address");
        return new TcpStream(SelectedBackend.get().tcpConnect(address));
    }

    /**
     * Adopts a connected (or connecting) channel, made non-blocking.
     *
     * @throws UnsupportedOperationException on the epoll backend, which owns its sockets as raw
     *     descriptors: use {@link #connect} there
     */
    public static TcpStream fromChannel(SocketChannel channel) throws IOException {
        return new TcpStream(SelectedBackend.get().adopt(Objects.requireNonNull(channel, "channel")));
    }

    public void setNodelay(boolean on) throws IOException {
        io.setOption(StandardSocketOptions.TCP_NODELAY, on);
    }

    public boolean nodelay() throws IOException {
        return io.getOption(StandardSocketOptions.TCP_NODELAY);
    }

    /**
     * Sets {@code SO_LINGER}, as the JDK's {@link java.net.Socket#setSoLinger} and mio 0.7's
     * {@code set_linger}. {@code null} turns it off (the default: a close returns at once, and the
     * kernel sends what is queued and then the end of stream). {@link Duration#ZERO} makes the close
     * abortive: queued bytes are dropped and the peer gets a reset (RST) instead of an end of stream,
     * what a proxy passes on when its other side was reset. A positive linger (whole seconds, rounded
     * up, at most 65535) makes {@link #close()} block until the bytes are sent or the time is up:
     * keep it off a poll loop's thread.
     *
     * <pre>{@code
     * stream.setLinger(Duration.ZERO);
     * stream.close();             // the peer's next read fails with "Connection reset"
     * }</pre>
     *
     * @throws IllegalArgumentException if {@code linger} is negative
     */
    public void setLinger(Duration linger) throws IOException {
        if (linger != null && linger.isNegative()) {
            throw new IllegalArgumentException("linger must not be negative, was " + linger);
        }
        int seconds = -1; // off, as in the JDK
        if (linger != null) {
            seconds = (int) Math.min(65_535, linger.toSeconds() + (linger.getNano() > 0 ? 1 : 0));
        }
        io.setOption(StandardSocketOptions.SO_LINGER, seconds);
    }

    /** The {@code SO_LINGER} time, {@link Duration#ZERO} for an abortive close, or null when off (the default). */
    public Duration linger() throws IOException {
        int seconds = io.getOption(StandardSocketOptions.SO_LINGER);
        return seconds < 0 ? null : Duration.ofSeconds(seconds);
    }

    /**
     * Sets the time-to-live of the packets this socket sends ({@code IP_TTL}; on IPv6 the unicast
     * hop limit, {@code IPV6_UNICAST_HOPS}), as mio's {@code set_ttl}.
     *
     * <pre>{@code
     * stream.setTtl(16);  // stream.ttl() == 16
     * }</pre>
     *
     * @param ttl 1 to 255
     * @throws IllegalArgumentException if {@code ttl} is out of range
     * @throws UnsupportedOperationException on the NIO backend (the JDK has no such socket option)
     */
    public void setTtl(int ttl) throws IOException {
        if (ttl < 1 || ttl > 255) {
            throw new IllegalArgumentException("ttl must be between 1 and 255, was " + ttl);
        }
        io.setTtl(ttl);
    }

    /**
     * The time-to-live of the packets this socket sends (the system default, often 64, until set).
     *
     * @throws UnsupportedOperationException on the NIO backend
     */
    public int ttl() throws IOException {
        return io.ttl();
    }
}
