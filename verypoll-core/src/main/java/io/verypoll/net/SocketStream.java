package io.verypoll.net;

import io.verypoll.Interest;
import io.verypoll.Registry;
import io.verypoll.Source;
import io.verypoll.Token;
import io.verypoll.internal.ChannelState;
import io.verypoll.internal.Readiness;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.NotYetConnectedException;
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
    final SocketChannel channel;
    /** Held, not inherited: the internal half stays out of the public type's signature. */
    private final ChannelState state;

    SocketStream(SocketChannel channel) throws IOException {
        channel.configureBlocking(false);
        this.channel = channel;
        this.state = new ChannelState(channel);
    }

    @Override
    public final void register(Registry registry, Token token, Interest interests) throws IOException {
        state.register(registry, token, interests);
    }

    @Override
    public final void reregister(Registry registry, Token token, Interest interests) throws IOException {
        state.reregister(registry, token, interests);
    }

    @Override
    public final void deregister(Registry registry) throws IOException {
        state.deregister(registry);
    }

    @Override
    public final boolean isOpen() {
        return channel.isOpen();
    }

    /** Deregisters and closes; the descriptor is released at once, even while another thread polls. */
    @Override
    public final void close() throws IOException {
        state.close();
    }

    /** The underlying channel, for options this API does not wrap. Do I/O through this stream. */
    public SocketChannel channel() {
        return channel;
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
        if (state.stillConnecting()) {
            return 0;
        }
        try {
            return (int) state.afterRead(channel.read(dst), dst.hasRemaining());
        } catch (IOException e) {
            throw state.failed(e);
        }
    }

    @Override
    public long read(ByteBuffer[] dsts) throws IOException {
        Objects.requireNonNull(dsts, "dsts");
        return read(dsts, 0, dsts.length);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        Objects.requireNonNull(dsts, "dsts");
        if (state.stillConnecting()) {
            return 0;
        }
        try {
            return state.afterRead(channel.read(dsts, offset, length), anyRemaining(dsts, offset, length));
        } catch (IOException e) {
            throw state.failed(e);
        }
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
        if (state.stillConnecting()) {
            return 0;
        }
        try {
            return (int) state.afterWrite(channel.write(src), src.hasRemaining());
        } catch (IOException e) {
            throw state.failed(e);
        }
    }

    @Override
    public long write(ByteBuffer[] srcs) throws IOException {
        Objects.requireNonNull(srcs, "srcs");
        return write(srcs, 0, srcs.length);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        Objects.requireNonNull(srcs, "srcs");
        if (state.stillConnecting()) {
            return 0;
        }
        try {
            return state.afterWrite(channel.write(srcs, offset, length), anyRemaining(srcs, offset, length));
        } catch (IOException e) {
            throw state.failed(e);
        }
    }

    private static boolean anyRemaining(ByteBuffer[] buffers, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            if (buffers[i].hasRemaining()) {
                return true;
            }
        }
        return false;
    }

    /** @throws NotYetConnectedException while the connect is in progress */
    public SocketAddress peerAddress() throws IOException {
        if (channel.isOpen() && (state.stillConnecting() || !channel.isConnected())) {
            throw new NotYetConnectedException();
        }
        return channel.getRemoteAddress();
    }

    public SocketAddress localAddress() throws IOException {
        return channel.getLocalAddress();
    }

    /** Closes one or both halves; the matching hints appear on later events. */
    public void shutdown(Shutdown how) throws IOException {
        Objects.requireNonNull(how, "how");
        if (how != Shutdown.WRITE) {
            channel.shutdownInput();
            state.learned(Readiness.READ_CLOSED);
        }
        if (how != Shutdown.READ) {
            channel.shutdownOutput();
            state.learned(Readiness.WRITE_CLOSED);
        }
    }

    /** The pending error (a failed connect), cleared; null if none. */
    public IOException takeError() {
        return state.takeError();
    }
}
