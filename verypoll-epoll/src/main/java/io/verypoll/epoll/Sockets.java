package io.verypoll.epoll;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.verypoll.spi.IoSource;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NotYetConnectedException;

/** Making sockets and pipes, and reading their addresses: non-blocking and close-on-exec from birth. */
final class Sockets {
    private Sockets() {
    }

    private static Fd open(int family, int type) throws IOException {
        Scratch s = Scratch.get();
        int fd = Libc.socket(s, family, type);
        if (fd < 0) {
            throw Errno.socket(s.errno());
        }
        return new Fd(fd);
    }

    /** Binds {@code fd} to {@code address}; a busy address is a {@link java.net.BindException}. */
    private static void bind(Fd fd, int family, SocketAddress address) throws IOException {
        Scratch s = Scratch.get();
        int len = Sockaddr.encode(address, family, s.addr);
        if (Libc.bind(s, fd.fd, s.addr, len) < 0) {
            throw Errno.socket(s.errno());
        }
    }

    private static void listen(Fd fd, int backlog) throws IOException {
        Scratch s = Scratch.get();
        // As ServerSocketChannel.bind: 0 or less means the default.
        if (Libc.listen(s, fd.fd, backlog < 1 ? 50 : backlog) < 0) {
            throw Errno.socket(s.errno());
        }
    }

    static IoSource tcpBind(SocketAddress address, int backlog, boolean reusePort) throws IOException {
        int family = Sockaddr.family(address);
        Fd fd = open(family, Libc.SOCK_STREAM);
        try {
            SocketOptions.setInt(fd, Libc.SOL_SOCKET, Libc.SO_REUSEADDR, 1);
            if (reusePort) {
                SocketOptions.setInt(fd, Libc.SOL_SOCKET, Libc.SO_REUSEPORT, 1);
            }
            bind(fd, family, address);
            listen(fd, backlog);
            return new ListenerSource(fd, family);
        } catch (IOException | RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    static IoSource tcpConnect(SocketAddress address) throws IOException {
        int family = Sockaddr.family(address);
        return connect(open(family, Libc.SOCK_STREAM), family, address);
    }

    /** A listener on a socket file or an abstract name (Sockaddr encodes either). */
    static IoSource unixBind(SocketAddress address, int backlog) throws IOException {
        Fd fd = open(Libc.AF_UNIX, Libc.SOCK_STREAM);
        try {
            bind(fd, Libc.AF_UNIX, address);
            listen(fd, backlog);
            return new ListenerSource(fd, Libc.AF_UNIX);
        } catch (IOException | RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    static IoSource unixConnect(SocketAddress address) throws IOException {
        return connect(open(Libc.AF_UNIX, Libc.SOCK_STREAM), Libc.AF_UNIX, address);
    }

    /** Starts a non-blocking connect; done at once (Unix sockets, often) or in progress. */
    private static IoSource connect(Fd fd, int family, SocketAddress address) throws IOException {
        try {
            Scratch s = Scratch.get();
            int len = Sockaddr.encode(address, family, s.addr);
            int r;
            do {
                r = Libc.connect(s, fd.fd, s.addr, len);
            } while (r < 0 && s.errno() == Libc.EINTR);
            if (r < 0 && s.errno() != Libc.EINPROGRESS) {
                throw Errno.connect(s.errno());
            }
            return new StreamSource(fd, family, true, r < 0);
        } catch (IOException | RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    static IoSource udpBind(SocketAddress address) throws IOException {
        int family = Sockaddr.family(address);
        Fd fd = open(family, Libc.SOCK_DGRAM);
        try {
            bind(fd, family, address);
            return new DatagramSource(fd, family);
        } catch (IOException | RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    /** A Unix-domain datagram socket, bound to {@code address} unless it is null. */
    static IoSource unixDatagram(SocketAddress address) throws IOException {
        Fd fd = open(Libc.AF_UNIX, Libc.SOCK_DGRAM);
        try {
            if (address != null) {
                bind(fd, Libc.AF_UNIX, address);
            }
            return new DatagramSource(fd, Libc.AF_UNIX);
        } catch (IOException | RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    static IoSource[] unixDatagramPair() throws IOException {
        Scratch s = Scratch.get();
        if (Libc.socketPair(s, Libc.SOCK_DGRAM) < 0) {
            throw Errno.socket(s.errno());
        }
        DatagramSource a = new DatagramSource(new Fd(s.ints.get(JAVA_INT, 0)), Libc.AF_UNIX);
        DatagramSource b = new DatagramSource(new Fd(s.ints.get(JAVA_INT, 4)), Libc.AF_UNIX);
        a.pairedWith();
        b.pairedWith();
        return new IoSource[] {a, b};
    }

    static IoSource[] unixPair() throws IOException {
        Scratch s = Scratch.get();
        if (Libc.socketPair(s) < 0) {
            throw Errno.socket(s.errno());
        }
        return new IoSource[] {
            new StreamSource(new Fd(s.ints.get(JAVA_INT, 0)), Libc.AF_UNIX, true, false),
            new StreamSource(new Fd(s.ints.get(JAVA_INT, 4)), Libc.AF_UNIX, true, false)
        };
    }

    static IoSource[] pipe() throws IOException {
        Scratch s = Scratch.get();
        if (Libc.pipe(s) < 0) {
            throw Errno.io(s.errno());
        }
        return new IoSource[] {
            new StreamSource(new Fd(s.ints.get(JAVA_INT, 0)), 0, false, false),
            new StreamSource(new Fd(s.ints.get(JAVA_INT, 4)), 0, false, false)
        };
    }

    static SocketAddress localAddress(Fd fd) throws IOException {
        fd.acquire();
        try {
            Scratch s = Scratch.get();
            if (Libc.localName(s, fd.fd) < 0) {
                throw Errno.socket(s.errno());
            }
            return Sockaddr.decode(s.addr, s.addrLen.get(JAVA_INT, 0));
        } finally {
            fd.release();
        }
    }

    /** @throws NotYetConnectedException if not connected */
    static SocketAddress peerAddress(Fd fd) throws IOException {
        if (!fd.tryAcquire()) {
            throw new ClosedChannelException();
        }
        try {
            Scratch s = Scratch.get();
            if (Libc.peerName(s, fd.fd) < 0) {
                if (s.errno() == Libc.ENOTCONN) {
                    throw new NotYetConnectedException();
                }
                throw Errno.socket(s.errno());
            }
            return Sockaddr.decode(s.addr, s.addrLen.get(JAVA_INT, 0));
        } finally {
            fd.release();
        }
    }
}
