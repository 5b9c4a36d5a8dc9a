package io.verypoll.net;

import io.verypoll.Interest;
import io.verypoll.Registry;
import io.verypoll.Source;
import io.verypoll.Token;
import io.verypoll.internal.RegistryAccess;
import io.verypoll.spi.IoSource;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.ScatteringByteChannel;
import java.nio.channels.SocketChannel;
import java.util.Objects;

/**
 * A non-blocking stream socket, TCP or Unix-domain: what {@link TcpStream} and {@link UnixStream}
 * share, for code that serves both (as NIO's {@link SocketChannel} does).
 *
 * <pre>{@code
 * SocketStream stream = useUnix ? UnixStream.connect(path) : TcpStream.connect(address);
 * poll.registry().register(stream, token, Interest.READABLE);
 * int n = stream.read(buffer);   // 0: would block, -1: end of stream
 * }</pre>
 */
public abstract sealed class SocketStream implements Source, ByteChannel, ScatteringByteChannel, GatheringByteChannel
        permits TcpStream, UnixStream {
    /** Held, not inherited: the backend's half stays out of the public type's signature. */
    final IoSource io;

    SocketStream(IoSource io) {
        this.io = io;
    }

    @Override
    public final void register(Registry registry, Token token, Interest interests) throws IOException {
        io.register(RegistryAccess.pollerOf(registry), token, interests);
    }

    @Override
    public final void reregister(Registry registry, Token token, Interest interests) throws IOException {
        io.reregister(RegistryAccess.pollerOf(registry), token, interests);
    }

    @Override
    public final void deregister(Registry registry) throws IOException {
        io.deregister(RegistryAccess.pollerOf(registry));
    }

    @Override
    public final boolean isOpen() {
        return io.isOpen();
    }

    /** Deregisters and closes; the descriptor is released at once, even while another thread polls. */
    @Override
    public final void close() throws IOException {
        io.close();
    }

    /**
     * The underlying channel, for options this API does not wrap. Do I/O through this stream.
     *
     * @throws UnsupportedOperationException on the epoll backend, which has no JDK channel
     */
    public SocketChannel channel() {
        return (SocketChannel) io.channel();
    }

    /**
     * Reads what the socket has. A result of 0 (whatever the cause, a full {@code dst} included)
     * or a short read re-arms reading: you may stop after a short read, and the next poll reports
     * any bytes that came meanwhile.
     *
     * @return bytes read; 0 if it would block (or while connecting); -1 at end of stream
     */
    @Override
    public int read(ByteBuffer dst) throws IOException {
        Objects.requireNonNull(dst, "dst");
        return io.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts) throws IOException {
        Objects.requireNonNull(dsts, "dsts");
        return read(dsts, 0, dsts.length);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        Objects.requireNonNull(dsts, "dsts");
        Objects.checkFromIndexSize(offset, length, dsts.length);
        return io.read(dsts, offset, length);
    }

    /**
     * Writes what the socket takes. A result of 0 (an empty {@code src} included) or data left
     * over re-arms writing: wait for the writable event before writing the rest.
     *
     * @return bytes written; 0 if it would block (or while connecting)
     */
    @Override
    public int write(ByteBuffer src) throws IOException {
        Objects.requireNonNull(src, "src");
        return io.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs) throws IOException {
        Objects.requireNonNull(srcs, "srcs");
        return write(srcs, 0, srcs.length);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        Objects.requireNonNull(srcs, "srcs");
        Objects.checkFromIndexSize(offset, length, srcs.length);
        return io.write(srcs, offset, length);
    }

    /** @throws NotYetConnectedException while the connect is in progress */
    public SocketAddress peerAddress() throws IOException {
        return io.peerAddress();
    }

    public SocketAddress localAddress() throws IOException {
        return io.localAddress();
    }

    /** Closes one or both halves; the matching hints appear on later events. */
    public void shutdown(Shutdown how) throws IOException {
        Objects.requireNonNull(how, "how");
        io.shutdown(how);
    }

    /** The pending error (a failed connect), cleared; null if none. */
    public IOException takeError() {
        return io.takeError();
    }
}
