package io.verypoll.net;

import io.verypoll.Interest;
import io.verypoll.Registry;
import io.verypoll.Source;
import io.verypoll.Token;
import io.verypoll.internal.RegistryAccess;
import io.verypoll.internal.SelectedBackend;
import io.verypoll.spi.IoSource;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.MembershipKey;
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
    /** Held, not inherited: the backend's half stays out of the public type's signature. */
    private final IoSource io;

    private UdpSocket(IoSource io) {
        this.io = io;
    }

    /** Binds a socket of the address's family (so IPv4 multicast works on an IPv4 socket). */
    public static UdpSocket bind(SocketAddress address) throws IOException {
        Objects.requireNonNull(address, "address");
        return new UdpSocket(SelectedBackend.get().udpBind(address));
    }

    /**
     * Adopts a datagram channel (made non-blocking).
     *
     * @throws UnsupportedOperationException on the epoll backend, which owns its sockets as raw
     *     descriptors: use {@link #bind} there
     */
    public static UdpSocket fromChannel(DatagramChannel channel) throws IOException {
        return new UdpSocket(SelectedBackend.get().adopt(Objects.requireNonNull(channel, "channel")));
    }

    /**
     * The underlying channel, for options this API does not wrap.
     *
     * @throws UnsupportedOperationException on the epoll backend, which has no JDK channel
     */
    public DatagramChannel channel() {
        return (DatagramChannel) io.channel();
    }

    /** @return bytes sent; 0 if it would block (or {@code src} is empty: an empty datagram is still sent) */
    public int sendTo(ByteBuffer src, SocketAddress target) throws IOException {
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(target, "target");
        return io.sendTo(src, target);
    }

    /** @return the sender, with the datagram in {@code dst}; null if it would block */
    public SocketAddress recvFrom(ByteBuffer dst) throws IOException {
        Objects.requireNonNull(dst, "dst");
        return io.recvFrom(dst);
    }

    /**
     * The next datagram copied into {@code dst} and left queued: the next {@link #recvFrom} returns
     * it again (mio's {@code peek_from}). Cut to the room in {@code dst}, as a receive is.
     *
     * <pre>{@code
     * SocketAddress from = socket.peekFrom(header);  // look at the header, then recvFrom into the right buffer
     * }</pre>
     *
     * @return the sender; null if it would block (reading is then re-armed)
     * @throws UnsupportedOperationException on the NIO backend (a DatagramChannel cannot peek)
     */
    public SocketAddress peekFrom(ByteBuffer dst) throws IOException {
        Objects.requireNonNull(dst, "dst");
        return io.peekFrom(dst);
    }

    /**
     * {@link #peekFrom} for a connected socket (mio's {@code peek}).
     *
     * @return the datagram's length (0 for an empty one; cut to the room in {@code dst}), -1 if it would block
     * @throws UnsupportedOperationException on the NIO backend
     */
    public int peek(ByteBuffer dst) throws IOException {
        Objects.requireNonNull(dst, "dst");
        int start = dst.position();
        if (io.peekFrom(dst) == null) {
            return -1;
        }
        return dst.position() - start;
    }

    /** Sets the default peer: {@link #send} goes there and {@link #recv} takes only its datagrams. */
    public void connect(SocketAddress peer) throws IOException {
        Objects.requireNonNull(peer, "peer");
        io.connect(peer);
    }

    /** @throws java.nio.channels.NotYetConnectedException unless {@link #connect} was called; @return 0 if it would block */
    public int send(ByteBuffer src) throws IOException {
        Objects.requireNonNull(src, "src");
        return io.send(src);
    }

    /** @return the datagram's length (0 for an empty one), -1 if it would block */
    public int recv(ByteBuffer dst) throws IOException {
        Objects.requireNonNull(dst, "dst");
        int start = dst.position();
        if (io.recvFrom(dst) == null) {
            return -1;
        }
        return dst.position() - start;
    }

    public SocketAddress localAddress() throws IOException {
        return io.localAddress();
    }

    /** @throws java.nio.channels.NotYetConnectedException unless {@link #connect} was called */
    public SocketAddress peerAddress() throws IOException {
        return io.peerAddress();
    }

    public void setBroadcast(boolean on) throws IOException {
        io.setOption(StandardSocketOptions.SO_BROADCAST, on);
    }

    public boolean broadcast() throws IOException {
        return io.getOption(StandardSocketOptions.SO_BROADCAST);
    }

    public void setMulticastLoop(boolean on) throws IOException {
        io.setOption(StandardSocketOptions.IP_MULTICAST_LOOP, on);
    }

    public boolean multicastLoop() throws IOException {
        return io.getOption(StandardSocketOptions.IP_MULTICAST_LOOP);
    }

    public void setMulticastTtl(int ttl) throws IOException {
        io.setOption(StandardSocketOptions.IP_MULTICAST_TTL, ttl);
    }

    public int multicastTtl() throws IOException {
        return io.getOption(StandardSocketOptions.IP_MULTICAST_TTL);
    }

    /**
     * Joins {@code group} on {@code networkInterface} (any source); drop the returned key to leave,
     * {@link MembershipKey#block block} a source to stop its datagrams. Joining the same group on the
     * same interface again returns the same key. One API on both backends: the key is a {@link
     * MembershipKey}, the JDK's on NIO and verypoll's subclass on epoll ({@code IP_ADD_MEMBERSHIP} /
     * {@code IPV6_ADD_MEMBERSHIP}, {@code MCAST_BLOCK_SOURCE}), where only {@code channel()} throws
     * {@link UnsupportedOperationException} (there is no JDK channel).
     *
     * <pre>{@code
     * UdpSocket socket = UdpSocket.bind(new InetSocketAddress(group, 5000));
     * MembershipKey key = socket.joinMulticast(group, NetworkInterface.getByName("eth0"));
     * // ... recvFrom the group's datagrams ...
     * key.drop();
     * }</pre>
     *
     * @throws IllegalArgumentException if {@code group} is not a multicast address, or of another family than the socket
     */
    public MembershipKey joinMulticast(InetAddress group, NetworkInterface networkInterface) throws IOException {
        return io.joinMulticast(Objects.requireNonNull(group, "group"), Objects.requireNonNull(networkInterface, "networkInterface"), null);
    }

    /**
     * Joins {@code group} on {@code networkInterface} to receive datagrams from {@code source} only
     * (source-specific multicast, as the JDK's {@code MulticastChannel.join(group, interface,
     * source)}); join again with another source to add one. On epoll: {@code
     * MCAST_JOIN_SOURCE_GROUP}.
     *
     * <pre>{@code
     * MembershipKey key = socket.joinMulticast(group, NetworkInterface.getByName("eth0"), InetAddress.getByName("192.0.2.7"));
     * }</pre>
     *
     * @throws IllegalArgumentException if {@code group} is not a multicast address, {@code source}
     *     not a unicast one, or they are of different families
     * @throws IllegalStateException if the socket is a member of the group on that interface for
     *     every source already
     */
    public MembershipKey joinMulticast(InetAddress group, NetworkInterface networkInterface, InetAddress source) throws IOException {
        return io.joinMulticast(Objects.requireNonNull(group, "group"), Objects.requireNonNull(networkInterface, "networkInterface"),
                Objects.requireNonNull(source, "source"));
    }

    /** The pending error, cleared; null if none. NIO reports UDP errors (such as port unreachable) by throwing from the I/O call instead. */
    public IOException takeError() {
        return io.takeError();
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
        return io.isOpen();
    }

    /** Deregisters and closes; the descriptor is released at once, even while another thread polls. */
    @Override
    public void close() throws IOException {
        io.close();
    }
}
