package io.verypoll.epoll;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The libc calls made per read, write and poll: read, write, send, sendto, recvfrom (the buffer as
 * a segment, or as a raw address for direct buffers) and epoll_wait. Unlike the rest of {@link
 * Libc}, they do not capture {@code errno}, so that they allocate nothing with escape analysis off.
 *
 * <p><b>Why.</b> A capturing downcall slices the capture segment on every call, inside the JDK
 * ({@code SharedUtils.checkCaptureSegment}: {@code asSlice}, a 40-byte segment), and only C2's
 * escape analysis removes that object: with {@code -XX:-DoEscapeAnalysis} every read, write and
 * poll allocated 40 bytes (TCP, UDP, Unix, pipe; measured), and in one full test run a polluted
 * profile left it on the pipe path (20 B per call). Nothing else of these calls allocates.
 *
 * <p><b>errno.</b> On -1 only, {@link #errnoNow} reads the thread's {@code errno} through {@code
 * __errno_location}, itself a critical call, and keeps it in the scratch as a captured one would
 * be. The JDK captures because the JVM may change {@code errno} after a call: when a thread blocks
 * for a safepoint, its futex wait leaves EAGAIN or EINTR (HotSpot's signal handlers keep errno).
 * The non-blocking calls here are linked {@code critical}: no thread-state transition, no safepoint
 * poll in the call, so once C2 has compiled the path nothing of the JVM runs between the two calls.
 * Before that (interpreted, or a call not inlined) a safepoint in between can turn a real error
 * into EAGAIN or EINTR, which the callers treat as would-block: the direction is re-armed, a
 * persistent error (EPIPE, EBADF) comes back at the next call, and a reset, which the failed call
 * consumed, then reads as the end of the stream, with the kernel's ERROR hint on the event. The
 * blocking epoll_wait is not critical (it must not hold safepoints off), so its transition back can
 * leave EAGAIN or EINTR too: the poller takes both as "no events", and the only other failures
 * (EBADF, EINVAL) cannot happen while it holds the descriptor. Virtual threads: the two calls run
 * on one carrier (nothing between them parks), and errno's location is asked each time.
 */
final class IoCalls {
    private static final MethodHandle READ = link(true, "read", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG);
    private static final MethodHandle WRITE = link(true, "write", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG);
    private static final MethodHandle SEND = link(true, "send", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);
    private static final MethodHandle SENDTO =
            link(true, "sendto", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle RECVFROM =
            link(true, "recvfrom", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS);
    // The same calls with the buffer as a raw address (direct buffers: no segment made per call).
    private static final MethodHandle READ_AT = link(true, "read", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle WRITE_AT = link(true, "write", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle SEND_AT = link(true, "send", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT);
    private static final MethodHandle SENDTO_AT =
            link(true, "sendto", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle RECVFROM_AT =
            link(true, "recvfrom", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS);
    /** epoll_wait(0) never blocks: critical. The blocking one is not: a critical call holds safepoints off. */
    private static final MethodHandle EPOLL_WAIT_NOW = link(true, "epoll_wait", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
    private static final MethodHandle EPOLL_WAIT = link(false, "epoll_wait", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
    /** The calling thread's errno, as an address (a returned segment would be an object per call). */
    private static final MethodHandle ERRNO_LOCATION = link(true, "__errno_location", JAVA_LONG);
    @SuppressWarnings("restricted") // native access is checked before this class loads (as for Libc)
    private static final MemorySegment EVERYWHERE = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private IoCalls() {
    }

    private static MethodHandle link(boolean critical, String name, ValueLayout result, ValueLayout... args) {
        FunctionDescriptor descriptor = FunctionDescriptor.of(result, args);
        return critical
                ? Libc.LINKER.downcallHandle(Libc.LIBC.find(name).orElseThrow(), descriptor, Libc.CRITICAL)
                : Libc.LINKER.downcallHandle(Libc.LIBC.find(name).orElseThrow(), descriptor, new Linker.Option[0]);
    }

    /** {@code result}; on -1, the thread's errno read now into the scratch (see the class comment). */
    private static long errnoNow(Scratch s, long result) throws Throwable {
        if (result < 0) {
            s.errnoState.set(JAVA_INT, Libc.ERRNO_OFFSET, EVERYWHERE.get(JAVA_INT, (long) ERRNO_LOCATION.invokeExact()));
        }
        return result;
    }

    static long read(Scratch s, int fd, MemorySegment buf, long len) {
        try {
            return errnoNow(s, (long) READ.invokeExact(fd, buf, len));
        } catch (Throwable t) {
            throw Libc.linkFailure(t);
        }
    }

    static long write(Scratch s, int fd, MemorySegment buf, long len) {
        try {
            return errnoNow(s, (long) WRITE.invokeExact(fd, buf, len));
        } catch (Throwable t) {
            throw Libc.linkFailure(t);
        }
    }

    static long send(Scratch s, int fd, MemorySegment buf, long len, int flags) {
        try {
            return errnoNow(s, (long) SEND.invokeExact(fd, buf, len, flags));
        } catch (Throwable t) {
            throw Libc.linkFailure(t);
        }
    }

    static long sendTo(Scratch s, int fd, MemorySegment buf, long len, MemorySegment addr, int addrLen) {
        try {
            return errnoNow(s, (long) SENDTO.invokeExact(fd, buf, len, Libc.MSG_NOSIGNAL, addr, addrLen));
        } catch (Throwable t) {
            throw Libc.linkFailure(t);
        }
    }

    /** recvfrom with the sender's address in {@code s.addr}. */
    static long recvFrom(Scratch s, int fd, MemorySegment buf, long len) {
        return recvFrom(s, fd, buf, len, 0);
    }

    /** recvfrom with {@code flags} ({@link Libc#MSG_PEEK}), the sender's address in {@code s.addr}. */
    static long recvFrom(Scratch s, int fd, MemorySegment buf, long len, int flags) {
        s.addrLen.set(JAVA_INT, 0, Scratch.ADDR_SIZE);
        try {
            return errnoNow(s, (long) RECVFROM.invokeExact(fd, buf, len, flags, s.addr, s.addrLen));
        } catch (Throwable t) {
            throw Libc.linkFailure(t);
        }
    }

    static long readAt(Scratch s, int fd, long buf, long len) {
        try {
            return errnoNow(s, (long) READ_AT.invokeExact(fd, buf, len));
        } catch (Throwable t) {
            throw Libc.linkFailure(t);
        }
    }

    static long writeAt(Scratch s, int fd, long buf, long len) {
        try {
            return errnoNow(s, (long) WRITE_AT.invokeExact(fd, buf, len));
        } catch (Throwable t) {
            throw Libc.linkFailure(t);
        }
    }

    static long sendAt(Scratch s, int fd, long buf, long len, int flags) {
        try {
            return errnoNow(s, (long) SEND_AT.invokeExact(fd, buf, len, flags));
        } catch (Throwable t) {
            throw Libc.linkFailure(t);
        }
    }

    static long sendToAt(Scratch s, int fd, long buf, long len, MemorySegment addr, int addrLen) {
        try {
            return errnoNow(s, (long) SENDTO_AT.invokeExact(fd, buf, len, Libc.MSG_NOSIGNAL, addr, addrLen));
        } catch (Throwable t) {
            throw Libc.linkFailure(t);
        }
    }

    static long recvFromAt(Scratch s, int fd, long buf, long len) {
        s.addrLen.set(JAVA_INT, 0, Scratch.ADDR_SIZE);
        try {
            return errnoNow(s, (long) RECVFROM_AT.invokeExact(fd, buf, len, 0, s.addr, s.addrLen));
        } catch (Throwable t) {
            throw Libc.linkFailure(t);
        }
    }

    /** epoll_wait without blocking: critical. */
    static int epollWaitNow(Scratch s, int epfd, MemorySegment events, int max) {
        try {
            return (int) errnoNow(s, (int) EPOLL_WAIT_NOW.invokeExact(epfd, events, max, 0));
        } catch (Throwable t) {
            throw Libc.linkFailure(t);
        }
    }

    /** epoll_wait that may block: not critical, so the JVM reaches safepoints meanwhile. */
    static int epollWait(Scratch s, int epfd, MemorySegment events, int max, int timeoutMillis) {
        try {
            return (int) errnoNow(s, (int) EPOLL_WAIT.invokeExact(epfd, events, max, timeoutMillis));
        } catch (Throwable t) {
            throw Libc.linkFailure(t);
        }
    }
}
