package io.verypoll.epoll;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.MembershipKey;
import java.nio.channels.NotYetConnectedException;

/**
 * A UDP or Unix-domain datagram socket. Like the JDK's {@code DatagramChannel}, it keeps the last
 * sender's address and hands the same object back while datagrams keep coming from there, and the
 * last target's encoding while sends keep going there: an echo loop allocates nothing per datagram
 * (from a bound sender: an unnamed Unix sender's address is decoded each time).
 */
final class DatagramSource extends EpollSource {
    private volatile SocketAddress peer;
    private final Membership.Set memberships = new Membership.Set();

    /** The last sender and its raw bytes; replaced (never changed) when another sender comes. */
    private volatile Sender lastFrom = new Sender(null, -1, 0, 0, 0, 0, null);

    /**
     * An address as its first 28 bytes (all of an IPv4 or IPv6 one) and, when longer (a Unix path
     * or abstract name), all of it in {@code whole}.
     */
    private record Sender(SocketAddress address, int len, long a, long b, long c, int d, MemorySegment whole) {
        boolean is(MemorySegment raw, int len, long a, long b, long c, int d) {
            return len == this.len && a == this.a && b == this.b && c == this.c && d == this.d
                    && (len <= SHORT_ADDRESS || MemorySegment.mismatch(raw, 0, len, whole, 0, len) == -1);
        }
    }

    private static final int SHORT_ADDRESS = 28;

    DatagramSource(Fd fd, int family) {
        super(fd, family, false);
    }

    /** A socketpair's end: connected from birth. */
    void pairedWith() throws IOException {
        peer = Sockets.peerAddress(fd);
    }

    @Override
    public int sendTo(ByteBuffer src, SocketAddress target) throws IOException {
        Scratch s = Scratch.get();
        int len = s.target(target, family);
        int pos = src.position();
        int n = (int) sendRaw(s, src, s.targetAddr, len);
        return afterSend(src, pos, n);
    }

    @Override
    public int send(ByteBuffer src) throws IOException {
        if (peer == null) {
            throw new NotYetConnectedException();
        }
        int pos = src.position();
        int n = (int) sendRaw(Scratch.get(), src, MemorySegment.NULL, 0);
        return afterSend(src, pos, n);
    }

    /** The bytes sent, or -1 if it would block. */
    private long sendRaw(Scratch s, ByteBuffer src, MemorySegment to, int toLen) throws IOException {
        fd.acquire();
        long n;
        try {
            n = Transfer.sendTo(s, fd.fd, src, to, toLen);
        } catch (Throwable t) {
            throw Transfer.failure(t);
        } finally {
            fd.release();
        }
        if (n < 0 && s.errno() == Libc.EINTR) {
            rearm(W, true); // a signal, not would-block: not retried here (see Transfer), so ask again
        } else if (n < 0 && s.errno() != Libc.EAGAIN) {
            throw Errno.datagram(s.errno());
        }
        return n;
    }

    private int afterSend(ByteBuffer src, int pos, int n) {
        if (n < 0) {
            rearm(W);
            return 0;
        }
        src.position(pos + n);
        if (n == 0 || src.hasRemaining()) {
            rearm(W, n == 0); // an empty datagram: nothing tells whether the next would block
        }
        return n;
    }

    @Override
    public SocketAddress recvFrom(ByteBuffer dst) throws IOException {
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("Read-only buffer");
        }
        Scratch s = Scratch.get();
        long n;
        fd.acquire();
        try {
            // A datagram longer than the room left is cut, as NIO's receive cuts it.
            n = Transfer.read(s, fd.fd, dst, true);
        } catch (Throwable t) {
            throw Transfer.failure(t);
        } finally {
            fd.release();
        }
        return received(s, n, dst);
    }

    /** recvfrom with {@code MSG_PEEK}, through the thread's native memory: the datagram stays queued. */
    @Override
    public SocketAddress peekFrom(ByteBuffer dst) throws IOException {
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("Read-only buffer");
        }
        Scratch s = Scratch.get();
        int room = dst.remaining();
        long n;
        fd.acquire();
        try {
            MemorySegment into = s.bounce(Math.max(room, 1));
            n = Libc.recvFrom(s, fd.fd, into, room, Libc.MSG_PEEK);
            if (n > 0) {
                MemorySegment.copy(into, 0, MemorySegment.ofBuffer(dst), 0, n);
            }
        } finally {
            fd.release();
        }
        return received(s, n, dst);
    }

    /**
     * After a recvfrom of {@code n} bytes into {@code dst} (its position not yet moved): the sender,
     * or null when nothing was waiting (the read direction re-armed).
     */
    private SocketAddress received(Scratch s, long n, ByteBuffer dst) throws IOException {
        if (n < 0) {
            if (s.errno() == Libc.EAGAIN || s.errno() == Libc.EINTR) {
                rearm(R, s.errno() == Libc.EINTR);
                return null;
            }
            throw Errno.datagram(s.errno());
        }
        dst.position(dst.position() + (int) n);
        return sender(s);
    }

    /** The sender in {@code s.addr}: the previous object if the bytes are the same. */
    private SocketAddress sender(Scratch s) throws IOException {
        int len = s.addrLen.get(JAVA_INT, 0);
        MemorySegment a = s.addr;
        long wa = a.get(JAVA_LONG, 0);
        long wb = a.get(JAVA_LONG, 8);
        long wc = len > 16 ? a.get(JAVA_LONG, 16) : 0;
        int wd = len > 24 ? a.get(JAVA_INT, 24) : 0;
        Sender last = lastFrom;
        if (last.is(a, len, wa, wb, wc, wd)) {
            return last.address();
        }
        SocketAddress from = Sockaddr.decode(a, len);
        MemorySegment whole = len > SHORT_ADDRESS ? MemorySegment.ofArray(a.asSlice(0, len).toArray(JAVA_BYTE)) : null;
        lastFrom = new Sender(from, len, wa, wb, wc, wd, whole);
        return from;
    }

    @Override
    public void connect(SocketAddress address) throws IOException {
        fd.acquire();
        try {
            Scratch s = Scratch.get();
            int len = Sockaddr.encode(address, family, s.addr);
            // connect(2) replaces an earlier peer of a datagram socket, as mio allows.
            if (Libc.connect(s, fd.fd, s.addr, len) < 0) {
                throw Errno.socket(s.errno());
            }
            peer = Sockets.peerAddress(fd);
        } finally {
            fd.release();
        }
    }

    @Override
    public SocketAddress peerAddress() throws IOException {
        if (!fd.isOpen()) {
            throw new java.nio.channels.ClosedChannelException();
        }
        SocketAddress p = peer;
        if (p == null) {
            throw new NotYetConnectedException();
        }
        return p;
    }

    /** verypoll's {@link MembershipKey} ({@link Membership}); the same key again for the same group, interface and source. */
    @Override
    public MembershipKey joinMulticast(InetAddress group, NetworkInterface networkInterface, InetAddress source) throws IOException {
        if (family == Libc.AF_UNIX) {
            throw new UnsupportedOperationException("a Unix-domain socket has no multicast groups");
        }
        return memberships.join(this, group, networkInterface, source);
    }
}
