package io.verypoll.internal;

import io.verypoll.Interest;
import io.verypoll.Token;
import io.verypoll.net.Shutdown;
import io.verypoll.spi.IoSource;
import io.verypoll.spi.Poller;
import io.verypoll.spi.Readiness;
import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.MembershipKey;
import java.nio.channels.NetworkChannel;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.ScatteringByteChannel;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A source of the NIO backend: a JDK channel and its {@link ChannelState}. The I/O calls are the
 * channel's, with the re-arming and the hints of the core's contract around them.
 */
final class NioSource implements IoSource {
    private final SelectableChannel channel;
    private final ChannelState state;
    /** The channel seen as what it is; null where it is not (fields, not casts, on the I/O path). */
    private final SocketChannel stream;
    private final ServerSocketChannel server;
    private final DatagramChannel datagram;

    NioSource(SelectableChannel channel) throws IOException {
        channel.configureBlocking(false);
        this.channel = channel;
        this.state = new ChannelState(channel);
        this.stream = channel instanceof SocketChannel ? (SocketChannel) channel : null;
        this.server = channel instanceof ServerSocketChannel ? (ServerSocketChannel) channel : null;
        this.datagram = channel instanceof DatagramChannel ? (DatagramChannel) channel : null;
    }

    // ---- registration ----

    @Override
    public void register(Poller poller, Token token, Interest interests) throws IOException {
        state.register(poller, token, interests);
    }

    @Override
    public void reregister(Poller poller, Token token, Interest interests) throws IOException {
        state.reregister(poller, token, interests);
    }

    @Override
    public void deregister(Poller poller) throws IOException {
        state.deregister(poller);
    }

    @Override
    public void wouldBlock(Interest directions) {
        state.wouldBlock(directions);
    }

    // ---- streams and pipes ----

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (state.stillConnecting()) {
            return 0;
        }
        try {
            return (int) state.afterRead(((ReadableByteChannel) channel).read(dst), dst.hasRemaining());
        } catch (IOException e) {
            throw state.failed(e);
        }
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        if (state.stillConnecting()) {
            return 0;
        }
        try {
            long n = ((ScatteringByteChannel) channel).read(dsts, offset, length);
            return state.afterRead(n, anyRemaining(dsts, offset, length));
        } catch (IOException e) {
            throw state.failed(e);
        }
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        if (state.stillConnecting()) {
            return 0;
        }
        try {
            return (int) state.afterWrite(((WritableByteChannel) channel).write(src), src.hasRemaining());
        } catch (IOException e) {
            throw state.failed(e);
        }
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        if (state.stillConnecting()) {
            return 0;
        }
        try {
            long n = ((GatheringByteChannel) channel).write(srcs, offset, length);
            return state.afterWrite(n, anyRemaining(srcs, offset, length));
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

    @Override
    public IoSource accept() throws IOException {
        SocketChannel accepted = server.accept();
        if (accepted == null) {
            state.afterRead(0, true);
            return null;
        }
        try {
            return new NioSource(accepted);
        } catch (IOException | RuntimeException e) {
            accepted.close();
            throw e;
        }
    }

    @Override
    public void shutdown(Shutdown how) throws IOException {
        if (how != Shutdown.WRITE) {
            stream.shutdownInput();
            state.learned(Readiness.READ_CLOSED);
        }
        if (how != Shutdown.READ) {
            stream.shutdownOutput();
            state.learned(Readiness.WRITE_CLOSED);
        }
    }

    // ---- datagrams ----

    @Override
    public int sendTo(ByteBuffer src, SocketAddress target) throws IOException {
        return (int) state.afterWrite(datagram.send(src, target), src.hasRemaining());
    }

    @Override
    public SocketAddress recvFrom(ByteBuffer dst) throws IOException {
        SocketAddress from = datagram.receive(dst);
        if (from == null) {
            state.afterRead(0, true);
        }
        return from;
    }

    @Override
    public void connect(SocketAddress peer) throws IOException {
        // connect(2) and mio let a connected UDP socket connect to another peer; the JDK throws
        // AlreadyConnectedException instead (bug: reconnect failed, see mio's
        // reconnect_udp_socket_* tests). Disconnect first; in the short window between the two
        // calls the socket is unconnected, as with any NIO reconnect.
        if (datagram.isConnected()) {
            datagram.disconnect();
        }
        datagram.connect(peer);
    }

    @Override
    public int send(ByteBuffer src) throws IOException {
        if (!datagram.isConnected()) {
            throw new NotYetConnectedException();
        }
        return (int) state.afterWrite(datagram.write(src), src.hasRemaining());
    }

    @Override
    public MembershipKey joinMulticast(InetAddress group, NetworkInterface networkInterface, InetAddress source) throws IOException {
        return source == null ? datagram.join(group, networkInterface) : datagram.join(group, networkInterface, source);
    }

    // ---- any socket ----

    @Override
    public SocketAddress peerAddress() throws IOException {
        if (datagram != null) {
            SocketAddress peer = datagram.getRemoteAddress();
            if (peer == null) {
                throw new NotYetConnectedException();
            }
            return peer;
        }
        if (stream.isOpen() && (state.stillConnecting() || !stream.isConnected())) {
            throw new NotYetConnectedException();
        }
        return stream.getRemoteAddress();
    }

    @Override
    public SocketAddress localAddress() throws IOException {
        return ((NetworkChannel) channel).getLocalAddress();
    }

    @Override
    public <T> void setOption(SocketOption<T> option, T value) throws IOException {
        ((NetworkChannel) channel).setOption(option, value);
    }

    @Override
    public <T> T getOption(SocketOption<T> option) throws IOException {
        return ((NetworkChannel) channel).getOption(option);
    }

    @Override
    public IOException takeError() {
        return state.takeError();
    }

    @Override
    public SelectableChannel channel() {
        return channel;
    }

    @Override
    public boolean isOpen() {
        return channel.isOpen();
    }

    @Override
    public void close() throws IOException {
        state.close();
    }
}
