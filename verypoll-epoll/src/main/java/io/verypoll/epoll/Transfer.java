package io.verypoll.epoll;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;

/**
 * The calls that move bytes between a buffer and a descriptor, made so that a call allocates
 * nothing whatever the JIT decides.
 *
 * <p>The obvious call, {@code read(fd, MemorySegment.ofBuffer(buffer), n)}, makes a segment (and,
 * for a heap buffer, a session) per call, and only escape analysis removes them: it did in small
 * tests and failed in the full test suite, 16 to 72 bytes per call (measured). So no segment is
 * made per call: a direct buffer goes as a raw address (its base found once per buffer); a heap
 * buffer read or written from element 0 goes as a segment over its whole array (made once per
 * array), since the call only touches the first n bytes; any other heap buffer goes through
 * native memory kept per thread and a copy, as NIO does for every heap buffer. The cached buffer,
 * array and memory belong to the thread ({@link Scratch}).
 *
 * <p>The one object left was the JDK's slice of the errno capture, made inside every capturing
 * downcall and removed only by escape analysis: the calls here capture nothing ({@link IoCalls}
 * reads errno on failure only), so no call allocates with escape analysis off either
 * (IoAllocationTest runs so). A non-blocking call returns EINTR hardly ever, and the callers treat
 * it as would-block, so no loop retries it.
 *
 * <p>Each method returns the call's result: bytes, or -1 with errno in the scratch; the caller
 * moves the buffer's position.
 */
final class Transfer {
    private Transfer() {
    }

    /** A heap buffer whose remaining bytes start at its array's element 0. */
    private static boolean fromStart(ByteBuffer b) {
        return b.hasArray() && b.position() == 0 && b.arrayOffset() == 0;
    }

    /** read(2) into the remaining room of {@code dst} (writable). */
    static long read(Scratch s, int fd, ByteBuffer dst, boolean datagram) {
        long len = dst.remaining();
        if (dst.isDirect()) {
            long at = s.directBase(dst) + dst.position();
            long n = datagram ? IoCalls.recvFromAt(s, fd, at, len) : IoCalls.readAt(s, fd, at, len);
            Reference.reachabilityFence(dst); // its memory is in use until here
            return n;
        }
        boolean whole = fromStart(dst);
        MemorySegment into = whole ? s.arraySegment(dst.array()) : s.bounce((int) len);
        long n = datagram ? IoCalls.recvFrom(s, fd, into, len) : IoCalls.read(s, fd, into, len);
        if (n > 0 && !whole) {
            MemorySegment.copy(into, JAVA_BYTE, 0, dst.array(), dst.arrayOffset() + dst.position(), (int) n);
        }
        return n;
    }

    /** send(2) with MSG_NOSIGNAL ({@code socket}: EPIPE rather than SIGPIPE) or write(2) of the remaining bytes of {@code src}. */
    static long write(Scratch s, int fd, ByteBuffer src, boolean socket) {
        long len = src.remaining();
        if (src.isDirect()) {
            long at = s.directBase(src) + src.position();
            long n = socket ? IoCalls.sendAt(s, fd, at, len, Libc.MSG_NOSIGNAL) : IoCalls.writeAt(s, fd, at, len);
            Reference.reachabilityFence(src);
            return n;
        }
        MemorySegment from = outgoing(s, src, len);
        return socket ? IoCalls.send(s, fd, from, len, Libc.MSG_NOSIGNAL) : IoCalls.write(s, fd, from, len);
    }

    /** sendto(2) of the remaining bytes of {@code src}; {@code to} may be NULL (a connected socket). */
    static long sendTo(Scratch s, int fd, ByteBuffer src, MemorySegment to, int toLen) {
        long len = src.remaining();
        if (src.isDirect()) {
            long n = IoCalls.sendToAt(s, fd, s.directBase(src) + src.position(), len, to, toLen);
            Reference.reachabilityFence(src);
            return n;
        }
        return IoCalls.sendTo(s, fd, outgoing(s, src, len), len, to, toLen);
    }

    /** A heap buffer's remaining bytes, from element 0 of a segment. */
    private static MemorySegment outgoing(Scratch s, ByteBuffer src, long len) {
        if (fromStart(src)) {
            return s.arraySegment(src.array());
        }
        MemorySegment bounce = s.bounce((int) len);
        if (src.hasArray()) {
            MemorySegment.copy(src.array(), src.arrayOffset() + src.position(), bounce, JAVA_BYTE, 0, (int) len);
        } else {
            // A read-only heap buffer hides its array: copied through a view (this one allocates).
            bounce.asByteBuffer().put(src.duplicate());
        }
        return bounce;
    }
}
