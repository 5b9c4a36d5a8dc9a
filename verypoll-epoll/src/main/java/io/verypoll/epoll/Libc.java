package io.verypoll.epoll;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The libc calls of the backend, as downcall handles, and the Linux constants they take. The
 * constants are the generic ones that x86_64 and aarch64 share; only {@code epoll_event} differs
 * between the two ({@link #EVENT_SIZE}).
 *
 * <p>Every call that can fail captures {@code errno} into the calling thread's {@link Scratch}:
 * the JVM may change {@code errno} between two calls, so reading it afterwards is not safe. Calls
 * that never block (I/O on non-blocking descriptors, {@code epoll_ctl}, {@code epoll_wait(0)}) are
 * linked {@code critical}, which lets them take heap memory directly (no copy through a temporary
 * direct buffer, as NIO makes); blocking calls are not, since a critical call delays safepoints.
 *
 * <p>Capture has a price the JIT usually removes: the JDK slices the capture segment on every call
 * (40 bytes), and only escape analysis takes that object away. With {@code -XX:-DoEscapeAnalysis},
 * or a profile that defeats it, each read and write allocates it. Reading errno through
 * {@code __errno_location} after an uncaptured call would avoid it, but a safepoint taken between
 * the two calls can leave the futex's EAGAIN there, and a reset read as would-block is a connection
 * no edge ever wakes again. An exact errno is worth 40 bytes the JIT nearly always saves.
 *
 * <p>Loading this class links libc: call nothing here before native access is known to be enabled
 * ({@link EpollBackend#unavailableReason()}), or the JDK prints its restricted-method warning.
 */
final class Libc {
    // errno
    static final int EINTR = 4;
    static final int EBADF = 9;
    static final int EAGAIN = 11;
    static final int ENOENT = 2;
    static final int EPIPE = 32;
    static final int EINVAL = 22;
    static final int ENFILE = 23;
    static final int EMFILE = 24;
    static final int EADDRINUSE = 98;
    static final int EADDRNOTAVAIL = 99;
    static final int ENETUNREACH = 101;
    static final int ECONNABORTED = 103;
    static final int ECONNRESET = 104;
    static final int EISCONN = 106;
    static final int ENOTCONN = 107;
    static final int ETIMEDOUT = 110;
    static final int ECONNREFUSED = 111;
    static final int EHOSTUNREACH = 113;
    static final int EALREADY = 114;
    static final int EINPROGRESS = 115;
    static final int EACCES = 13;
    static final int EPERM = 1;

    // sockets
    static final int AF_UNIX = 1;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int SOCK_STREAM = 1;
    static final int SOCK_DGRAM = 2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final int SOCK_NONBLOCK = O_NONBLOCK;
    static final int SOCK_CLOEXEC = O_CLOEXEC;
    static final int SOL_SOCKET = 1;
    static final int SO_REUSEADDR = 2;
    static final int SO_ERROR = 4;
    static final int SO_BROADCAST = 6;
    static final int SO_SNDBUF = 7;
    static final int SO_RCVBUF = 8;
    static final int SO_KEEPALIVE = 9;
    static final int SO_LINGER = 13;
    static final int SO_REUSEPORT = 15;
    static final int IPPROTO_IP = 0;
    static final int IPPROTO_TCP = 6;
    static final int IPPROTO_IPV6 = 41;
    static final int TCP_NODELAY = 1;
    static final int IP_TOS = 1;
    static final int IP_TTL = 2;
    static final int IPV6_UNICAST_HOPS = 16;
    static final int IP_MULTICAST_TTL = 33;
    static final int IP_MULTICAST_LOOP = 34;
    static final int IPV6_MULTICAST_HOPS = 18;
    static final int IPV6_MULTICAST_LOOP = 19;
    static final int IP_ADD_MEMBERSHIP = 35;
    static final int IP_DROP_MEMBERSHIP = 36;
    static final int IPV6_ADD_MEMBERSHIP = 20;
    static final int IPV6_DROP_MEMBERSHIP = 21;
    // Protocol-independent source filtering (RFC 3678), the same numbers at IPPROTO_IP and IPPROTO_IPV6.
    static final int MCAST_BLOCK_SOURCE = 43;
    static final int MCAST_UNBLOCK_SOURCE = 44;
    static final int MCAST_JOIN_SOURCE_GROUP = 46;
    static final int MCAST_LEAVE_SOURCE_GROUP = 47;
    static final int SHUT_RD = 0;
    static final int SHUT_WR = 1;
    static final int SHUT_RDWR = 2;
    /** No SIGPIPE on a send to a closed peer: EPIPE instead. */
    static final int MSG_NOSIGNAL = 0x4000;
    static final int MSG_PEEK = 0x2;

    // epoll and eventfd
    static final int EPOLL_CLOEXEC = O_CLOEXEC;
    static final int EPOLL_CTL_ADD = 1;
    static final int EPOLL_CTL_DEL = 2;
    static final int EPOLL_CTL_MOD = 3;
    static final int EPOLLIN = 0x1;
    static final int EPOLLPRI = 0x2;
    static final int EPOLLOUT = 0x4;
    static final int EPOLLERR = 0x8;
    static final int EPOLLHUP = 0x10;
    static final int EPOLLRDHUP = 0x2000;
    static final int EPOLLET = 1 << 31;
    static final int EFD_NONBLOCK = O_NONBLOCK;
    static final int EFD_CLOEXEC = O_CLOEXEC;

    /** {@code struct epoll_event}: packed on x86_64 (12 bytes, data at 4), natural on aarch64 (16, data at 8). */
    static final int EVENT_SIZE;
    static final int EVENT_DATA_OFFSET;

    static {
        boolean x86 = !System.getProperty("os.arch").equals("aarch64");
        EVENT_SIZE = x86 ? 12 : 16;
        EVENT_DATA_OFFSET = x86 ? 4 : 8;
    }

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final Linker.Option CRITICAL = Linker.Option.critical(true);
    static final long ERRNO_OFFSET =
            Linker.Option.captureStateLayout().byteOffset(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle READ = link("read", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG);
    private static final MethodHandle WRITE = link("write", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG);
    private static final MethodHandle SEND = link("send", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);
    private static final MethodHandle SENDTO =
            link("sendto", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle RECVFROM =
            link("recvfrom", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS);
    // The same calls with the buffer as a raw address (direct buffers: no segment made per call).
    private static final MethodHandle READ_AT = link("read", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle WRITE_AT = link("write", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle SEND_AT = link("send", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT);
    private static final MethodHandle SENDTO_AT =
            link("sendto", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle RECVFROM_AT =
            link("recvfrom", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS);
    private static final MethodHandle SOCKET = link("socket", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle SOCKETPAIR = link("socketpair", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS);
    private static final MethodHandle PIPE2 = link("pipe2", JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle BIND = link("bind", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle LISTEN = link("listen", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle ACCEPT4 = link("accept4", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT);
    private static final MethodHandle CONNECT = link("connect", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle SHUTDOWN = link("shutdown", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle GETSOCKNAME = link("getsockname", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
    private static final MethodHandle GETPEERNAME = link("getpeername", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
    private static final MethodHandle GETSOCKOPT =
            link("getsockopt", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
    private static final MethodHandle SETSOCKOPT =
            link("setsockopt", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle CLOSE = link("close", JAVA_INT, JAVA_INT);
    private static final MethodHandle EPOLL_CREATE1 = link("epoll_create1", JAVA_INT, JAVA_INT);
    private static final MethodHandle EPOLL_CTL = link("epoll_ctl", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS);
    private static final MethodHandle EPOLL_WAIT_NOW = link("epoll_wait", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
    private static final MethodHandle EPOLL_WAIT = LINKER.downcallHandle(LIBC.find("epoll_wait").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), ERRNO);
    private static final MethodHandle EVENTFD = link("eventfd", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle STRERROR = LINKER.downcallHandle(LIBC.find("strerror").orElseThrow(),
            FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private Libc() {
    }

    /** A call that never blocks: critical (heap memory allowed), errno captured. */
    private static MethodHandle link(String name, ValueLayout result, ValueLayout... args) {
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(), FunctionDescriptor.of(result, args), ERRNO, CRITICAL);
    }

    private static AssertionError linkFailure(Throwable t) {
        return new AssertionError("a libc downcall failed to run", t);
    }

    static long read(Scratch s, int fd, MemorySegment buf, long len) {
        try {
            return (long) READ.invokeExact(s.errnoState, fd, buf, len);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    static long write(Scratch s, int fd, MemorySegment buf, long len) {
        try {
            return (long) WRITE.invokeExact(s.errnoState, fd, buf, len);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    static long send(Scratch s, int fd, MemorySegment buf, long len, int flags) {
        try {
            return (long) SEND.invokeExact(s.errnoState, fd, buf, len, flags);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    static long sendTo(Scratch s, int fd, MemorySegment buf, long len, MemorySegment addr, int addrLen) {
        try {
            return (long) SENDTO.invokeExact(s.errnoState, fd, buf, len, MSG_NOSIGNAL, addr, addrLen);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** recvfrom with the sender's address in {@code s.addr}. */
    static long recvFrom(Scratch s, int fd, MemorySegment buf, long len) {
        return recvFrom(s, fd, buf, len, 0);
    }

    /** recvfrom with {@code flags} ({@link #MSG_PEEK}), the sender's address in {@code s.addr}. */
    static long recvFrom(Scratch s, int fd, MemorySegment buf, long len, int flags) {
        s.addrLen.set(JAVA_INT, 0, Scratch.ADDR_SIZE);
        try {
            return (long) RECVFROM.invokeExact(s.errnoState, fd, buf, len, flags, s.addr, s.addrLen);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    static long readAt(Scratch s, int fd, long buf, long len) {
        try {
            return (long) READ_AT.invokeExact(s.errnoState, fd, buf, len);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    static long writeAt(Scratch s, int fd, long buf, long len) {
        try {
            return (long) WRITE_AT.invokeExact(s.errnoState, fd, buf, len);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    static long sendAt(Scratch s, int fd, long buf, long len, int flags) {
        try {
            return (long) SEND_AT.invokeExact(s.errnoState, fd, buf, len, flags);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    static long sendToAt(Scratch s, int fd, long buf, long len, MemorySegment addr, int addrLen) {
        try {
            return (long) SENDTO_AT.invokeExact(s.errnoState, fd, buf, len, MSG_NOSIGNAL, addr, addrLen);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    static long recvFromAt(Scratch s, int fd, long buf, long len) {
        s.addrLen.set(JAVA_INT, 0, Scratch.ADDR_SIZE);
        try {
            return (long) RECVFROM_AT.invokeExact(s.errnoState, fd, buf, len, 0, s.addr, s.addrLen);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    static int socket(Scratch s, int family, int type) {
        try {
            return (int) SOCKET.invokeExact(s.errnoState, family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** Two connected non-blocking Unix stream sockets in {@code s.ints} (0 and 4). */
    static int socketPair(Scratch s) {
        return socketPair(s, SOCK_STREAM);
    }

    /** Two connected Unix-domain sockets of {@code type} in {@code s.ints} (at 0 and 4). */
    static int socketPair(Scratch s, int type) {
        try {
            return (int) SOCKETPAIR.invokeExact(s.errnoState, AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, s.ints);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** A non-blocking pipe in {@code s.ints}: the read end at 0, the write end at 4. */
    static int pipe(Scratch s) {
        try {
            return (int) PIPE2.invokeExact(s.errnoState, s.ints, O_NONBLOCK | O_CLOEXEC);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    static int bind(Scratch s, int fd, MemorySegment addr, int len) {
        try {
            return (int) BIND.invokeExact(s.errnoState, fd, addr, len);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    static int listen(Scratch s, int fd, int backlog) {
        try {
            return (int) LISTEN.invokeExact(s.errnoState, fd, backlog);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** accept4, non-blocking and close-on-exec, with the peer's address in {@code s.addr}. */
    static int accept(Scratch s, int fd) {
        s.addrLen.set(JAVA_INT, 0, Scratch.ADDR_SIZE);
        try {
            return (int) ACCEPT4.invokeExact(s.errnoState, fd, s.addr, s.addrLen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    static int connect(Scratch s, int fd, MemorySegment addr, int len) {
        try {
            return (int) CONNECT.invokeExact(s.errnoState, fd, addr, len);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    static int shutdown(Scratch s, int fd, int how) {
        try {
            return (int) SHUTDOWN.invokeExact(s.errnoState, fd, how);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** getsockname into {@code s.addr} / {@code s.addrLen}. */
    static int localName(Scratch s, int fd) {
        s.addrLen.set(JAVA_INT, 0, Scratch.ADDR_SIZE);
        try {
            return (int) GETSOCKNAME.invokeExact(s.errnoState, fd, s.addr, s.addrLen);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** getpeername into {@code s.addr} / {@code s.addrLen}. */
    static int peerName(Scratch s, int fd) {
        s.addrLen.set(JAVA_INT, 0, Scratch.ADDR_SIZE);
        try {
            return (int) GETPEERNAME.invokeExact(s.errnoState, fd, s.addr, s.addrLen);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** getsockopt of an int (or the first int of a struct) into {@code s.ints} at 0. */
    static int getIntOption(Scratch s, int fd, int level, int name) {
        s.ints.set(JAVA_INT, 8, 8);
        try {
            return (int) GETSOCKOPT.invokeExact(s.errnoState, fd, level, name, s.ints, s.ints.asSlice(8, 4));
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** setsockopt of {@code len} bytes from {@code s.ints}. */
    static int setOption(Scratch s, int fd, int level, int name, int len) {
        try {
            return (int) SETSOCKOPT.invokeExact(s.errnoState, fd, level, name, s.ints, len);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** setsockopt of {@code len} bytes from {@code value} (a struct larger than {@code s.ints}). */
    static int setOption(Scratch s, int fd, int level, int name, MemorySegment value, int len) {
        try {
            return (int) SETSOCKOPT.invokeExact(s.errnoState, fd, level, name, value, len);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    static int close(Scratch s, int fd) {
        try {
            return (int) CLOSE.invokeExact(s.errnoState, fd);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    static int epollCreate(Scratch s) {
        try {
            return (int) EPOLL_CREATE1.invokeExact(s.errnoState, EPOLL_CLOEXEC);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** epoll_ctl with an epoll_event of {@code events} and {@code data}. */
    static int epollCtl(Scratch s, int epfd, int op, int fd, int events, long data) {
        s.event.set(JAVA_INT, 0, events);
        s.event.set(ValueLayout.JAVA_LONG_UNALIGNED, EVENT_DATA_OFFSET, data);
        try {
            return (int) EPOLL_CTL.invokeExact(s.errnoState, epfd, op, fd, s.event);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** epoll_wait without blocking: critical. */
    static int epollWaitNow(Scratch s, int epfd, MemorySegment events, int max) {
        try {
            return (int) EPOLL_WAIT_NOW.invokeExact(s.errnoState, epfd, events, max, 0);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** epoll_wait that may block: not critical, so the JVM reaches safepoints meanwhile. */
    static int epollWait(Scratch s, int epfd, MemorySegment events, int max, int timeoutMillis) {
        try {
            return (int) EPOLL_WAIT.invokeExact(s.errnoState, epfd, events, max, timeoutMillis);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    static int eventFd(Scratch s) {
        try {
            return (int) EVENTFD.invokeExact(s.errnoState, 0, EFD_NONBLOCK | EFD_CLOEXEC);
        } catch (Throwable t) {
            throw linkFailure(t);
        }
    }

    /** The C library's text for {@code errno}, for exception messages. */
    static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return text.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }
}
