package io.verypoll.net;

import io.verypoll.Interest;
import io.verypoll.Registry;
import io.verypoll.Source;
import io.verypoll.Token;
import io.verypoll.internal.ChannelState;
import java.io.Closeable;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.MembershipKey;
import java.nio.channels.NotYetConnectedException;
import java.util.Objects;

/**
 * A non-blocking UDP socket: mio's {@code UdpSocket}. Readable means datagrams are queued: receive
 * until {@link #recvFrom} returns null (or {@link #recv} returns -1).
 *
 * <pre>{@code
 * UdpSocket socket = UdpSocket.bind(new InetSocketAddress("127.0.0.1", 7009));
 * poll.registry().register(socket, UDP, Interest.READABLE);
 * ByteBuffer buf = ByteBuffer.allocate(65536);
 * SocketAddress from;
 * while ((from = socket.recvFrom(buf.clear())) != null) {
 *     socket.sendTo(buf.flip(), from);   // echo
 * }
 * }</pre>
 */
public final class UdpSocket implements Source, Closeable {
    private final DatagramChannel channel;
    /** Held, not inherited: the internal half stays out of the public type's signature. */
    private final ChannelState state;

    private UdpSocket(DatagramChannel channel) throws IOException {
        channel.configureBlocking(false);
        this.channel = channel;
        this.state = new ChannelState(channel);
    }

    public static UdpSocket bind(SocketAddress address) throws IOException {
        Objects.requireNonNull(address, "address");
        boolean v6 = address instanceof InetSocketAddress && ((InetSocketAddress) address).getAddress() instanceof Inet6Address;
        // The family follows the address, so IPv4 multicast works on an IPv4 socket.
        DatagramChannel channel = DatagramChannel.open(v6 ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
        try {
            channel.bind(address);
            return new UdpSocket(channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Adopts a datagram channel (made non-blocking). */
    public static UdpSocket fromChannel(DatagramChannel channel) throws IOException {
        return new UdpSocket(Objects.requireNonNull(channel, "channel"));
    }

    /** The underlying channel, for options this API does not wrap. */
    public DatagramChannel channel() {
        return channel;
    }

    /** @return bytes sent; 0 if it would block (or {@code src} is empty: an empty datagram is still sent) */
    public int sendTo(ByteBuffer src, SocketAddress target) throws IOException {
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(target, "target");
        return (int) state.afterWrite(channel.send(src, target), src.hasRemaining());
    }

    /** @return the sender, with the datagram in {@code dst}; null if it would block */
    public SocketAddress recvFrom(ByteBuffer dst) throws IOException {
        Objects.requireNonNull(dst, "dst");
        SocketAddress from = channel.receive(dst);
        if (from == null) {
            state.afterRead(0, true);
        }
        return from;
    }

    /** Sets the default peer: {@link #send} goes there and {@link #recv} takes only its datagrams. */
    public void connect(SocketAddress peer) throws IOException {
        Objects.requireNonNull(peer, "peer");
        // connect(2) and mio let a connected UDP socket connect to another peer; the JDK throws
        // AlreadyConnectedException instead (bug: reconnect failed, see mio's
        // reconnect_udp_socket_* tests). Disconnect first; in the short window between the two
        // calls the socket is unconnected, as with any NIO reconnect.
        if (channel.isConnected()) {
            channel.disconnect();
        }
        channel.connect(peer);
    }

    /** @throws NotYetConnectedException unless {@link #connect} was called; @return 0 if it would block */
    public int send(ByteBuffer src) throws IOException {
        Objects.requireNonNull(src, "src");
        if (!channel.isConnected()) {
            throw new NotYetConnectedException();
        }
        return (int) state.afterWrite(channel.write(src), src.hasRemaining());
    }

    /** @return the datagram's length (0 for an empty one), -1 if it would block */
    public int recv(ByteBuffer dst) throws IOException {
        Objects.requireNonNull(dst, "dst");
        int start = dst.position();
        if (channel.receive(dst) == null) {
            state.afterRead(0, true);
            return -1;
        }
        return dst.position() - start;
    }

    public SocketAddress localAddress() throws IOException {
        return channel.getLocalAddress();
    }

    /** @throws NotYetConnectedException unless {@link #connect} was called */
    public SocketAddress peerAddress() throws IOException {
        SocketAddress peer = channel.getRemoteAddress();
        if (peer == null) {
            throw new NotYetConnectedException();
        }
        return peer;
    }

    public void setBroadcast(boolean on) throws IOException {
        channel.setOption(StandardSocketOptions.SO_BROADCAST, on);
    }

    public boolean broadcast() throws IOException {
        return channel.getOption(StandardSocketOptions.SO_BROADCAST);
    }

    public void setMulticastLoop(boolean on) throws IOException {
        channel.setOption(StandardSocketOptions.IP_MULTICAST_LOOP, on);
    }

    public boolean multicastLoop() throws IOException {
        return channel.getOption(StandardSocketOptions.IP_MULTICAST_LOOP);
    }

    public void setMulticastTtl(int ttl) throws IOException {
        channel.setOption(StandardSocketOptions.IP_MULTICAST_TTL, ttl);
    }

    public int multicastTtl() throws IOException {
        return channel.getOption(StandardSocketOptions.IP_MULTICAST_TTL);
    }

    /** Joins {@code group} on {@code networkInterface}; drop the returned key to leave. */
    public MembershipKey joinMulticast(InetAddress group, NetworkInterface networkInterface) throws IOException {
        return channel.join(Objects.requireNonNull(group, "group"), Objects.requireNonNull(networkInterface, "networkInterface"));
    }

    /** The pending error, cleared; null if none. NIO reports UDP errors (such as port unreachable) by throwing from the I/O call instead. */
    public IOException takeError() {
        return state.takeError();
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
        return channel.isOpen();
    }

    /** Deregisters and closes; the descriptor is released at once, even while another thread polls. */
    @Override
    public void close() throws IOException {
        state.close();
    }
}
