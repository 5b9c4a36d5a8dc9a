package io.verypoll.spi;

import io.verypoll.Interest;
import io.verypoll.Token;
import io.verypoll.net.Shutdown;
import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.ByteBuffer;
import java.nio.channels.MembershipKey;
import java.nio.channels.SelectableChannel;

/**
 * One socket, pipe end or watched descriptor of a backend: its registration state and its I/O.
 * The public sources hold one and delegate to it (a class of another module cannot extend the
 * sealed public types). Operations that do not fit the kind of source are never called by the
 * public types. Would-block is a return value, as in NIO; every I/O call re-arms its direction
 * when it would block, as the core's contract says.
 */
public interface IoSource {
    // ---- registration (any thread) ----

    void register(Poller poller, Token token, Interest interests) throws IOException;

    void reregister(Poller poller, Token token, Interest interests) throws IOException;

    void deregister(Poller poller) throws IOException;

    /** The caller's own I/O would block in {@code directions}: watch them again. */
    void wouldBlock(Interest directions);

    // ---- streams and pipes ----

    /** @return bytes read, 0 if it would block (or while connecting), -1 at end of stream */
    int read(ByteBuffer dst) throws IOException;

    long read(ByteBuffer[] dsts, int offset, int length) throws IOException;

    /** @return bytes written, 0 if it would block (or while connecting) */
    int write(ByteBuffer src) throws IOException;

    long write(ByteBuffer[] srcs, int offset, int length) throws IOException;

    /** @return the accepted connection, non-blocking; null if it would block */
    IoSource accept() throws IOException;

    void shutdown(Shutdown how) throws IOException;

    /**
     * Copies what a stream socket has into {@code dst} without consuming it ({@code MSG_PEEK}).
     * Would-block re-arms reading, as a read does.
     *
     * @return bytes copied, 0 if it would block (or while connecting), -1 at end of stream
     */
    default int peek(ByteBuffer dst) throws IOException {
        throw needsEpoll("peek", "a JDK channel cannot read without consuming (no MSG_PEEK)");
    }

    /** TCP: the IP time-to-live (IPv6: unicast hops) of outgoing packets. */
    default int ttl() throws IOException {
        throw needsEpoll("TcpStream.ttl", "the JDK has no socket option for a TCP socket's IP TTL");
    }

    default void setTtl(int ttl) throws IOException {
        throw needsEpoll("TcpStream.setTtl", "the JDK has no socket option for a TCP socket's IP TTL");
    }

    // ---- datagrams ----

    /** The next datagram copied into {@code dst} and left queued; its sender, or null if it would block. */
    default SocketAddress peekFrom(ByteBuffer dst) throws IOException {
        throw needsEpoll("peek", "a DatagramChannel cannot receive without consuming (no MSG_PEEK)");
    }

    int sendTo(ByteBuffer src, SocketAddress target) throws IOException;

    /** @return the sender; null if it would block */
    SocketAddress recvFrom(ByteBuffer dst) throws IOException;

    /** Connects a datagram socket, replacing an earlier peer. */
    void connect(SocketAddress peer) throws IOException;

    /** A connected datagram socket's send: {@link java.nio.channels.NotYetConnectedException} if not connected. */
    int send(ByteBuffer src) throws IOException;

    /** {@code source}: receive from that source only (source-specific), or from any if null. */
    MembershipKey joinMulticast(InetAddress group, NetworkInterface networkInterface, InetAddress source) throws IOException;

    // ---- any socket ----

    /** @throws java.nio.channels.NotYetConnectedException while connecting or unconnected */
    SocketAddress peerAddress() throws IOException;

    SocketAddress localAddress() throws IOException;

    <T> void setOption(SocketOption<T> option, T value) throws IOException;

    <T> T getOption(SocketOption<T> option) throws IOException;

    /** The pending error (a failed connect), cleared; null if none. */
    IOException takeError();

    /** The JDK channel, on the backend that has one. */
    SelectableChannel channel();

    boolean isOpen();

    /** Deregisters and closes; safe against I/O on other threads. */
    void close() throws IOException;

    /** What a backend without {@code feature} throws: names the epoll backend and why this one cannot. */
    static UnsupportedOperationException needsEpoll(String feature, String why) {
        return new UnsupportedOperationException(feature + " needs the epoll backend (-Dverypoll.backend=epoll: Linux,"
                + " Java 22+, verypoll-epoll, native access); on this backend " + why);
    }
}
