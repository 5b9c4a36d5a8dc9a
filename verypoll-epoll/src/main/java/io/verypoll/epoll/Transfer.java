package io.verypoll.epoll;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
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
 * <p>The one object left is the JDK's slice of the errno capture, made inside the downcall. It
 * goes when the JIT inlines the whole downcall path, about ten levels of JDK methods; inlined into
 * a deep caller, the JIT runs out of depth inside it. So the raw calls are reached through method
 * handles in fields that are not final, on purpose: the JIT compiles them on their own, from depth
 * zero. No loop surrounds a call either (a retry loop defeated escape analysis too, measured): a
 * non-blocking call returns EINTR hardly ever, and the callers treat it as would-block.
 *
 * <p>Each method returns the call's result: bytes, or -1 with errno in the scratch; the caller
 * moves the buffer's position.
 */
final class Transfer {
    // Not final: see above. Written once, here. Seg: the buffer as a segment; At: as an address.
    static MethodHandle readSeg;
    static MethodHandle readAt;
    static MethodHandle writeSeg;
    static MethodHandle writeAt;
    static MethodHandle sendSeg;
    static MethodHandle sendAt;
    static MethodHandle recvFromSeg;
    static MethodHandle recvFromAt;
    static MethodHandle sendToSeg;
    static MethodHandle sendToAt;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            MethodType seg = MethodType.methodType(long.class, Scratch.class, int.class, MemorySegment.class, long.class);
            MethodType at = MethodType.methodType(long.class, Scratch.class, int.class, long.class, long.class);
            readSeg = lookup.findStatic(Transfer.class, "readSeg0", seg);
            readAt = lookup.findStatic(Transfer.class, "readAt0", at);
            writeSeg = lookup.findStatic(Transfer.class, "writeSeg0", seg);
            writeAt = lookup.findStatic(Transfer.class, "writeAt0", at);
            sendSeg = lookup.findStatic(Transfer.class, "sendSeg0", seg);
            sendAt = lookup.findStatic(Transfer.class, "sendAt0", at);
            recvFromSeg = lookup.findStatic(Transfer.class, "recvFromSeg0", seg);
            recvFromAt = lookup.findStatic(Transfer.class, "recvFromAt0", at);
            sendToSeg = lookup.findStatic(Transfer.class, "sendToSeg0", seg.appendParameterTypes(MemorySegment.class, int.class));
            sendToAt = lookup.findStatic(Transfer.class, "sendToAt0", at.appendParameterTypes(MemorySegment.class, int.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Transfer() {
    }

    /** A heap buffer whose remaining bytes start at its array's element 0. */
    private static boolean fromStart(ByteBuffer b) {
        return b.hasArray() && b.position() == 0 && b.arrayOffset() == 0;
    }

    /** read(2) into the remaining room of {@code dst} (writable). */
    static long read(Scratch s, int fd, ByteBuffer dst, boolean datagram) throws Throwable {
        long len = dst.remaining();
        if (dst.isDirect()) {
            long at = s.directBase(dst) + dst.position();
            long n = datagram ? (long) recvFromAt.invokeExact(s, fd, at, len) : (long) readAt.invokeExact(s, fd, at, len);
            Reference.reachabilityFence(dst); // its memory is in use until here
            return n;
        }
        boolean whole = fromStart(dst);
        MemorySegment into = whole ? s.arraySegment(dst.array()) : s.bounce((int) len);
        long n = datagram ? (long) recvFromSeg.invokeExact(s, fd, into, len) : (long) readSeg.invokeExact(s, fd, into, len);
        if (n > 0 && !whole) {
            MemorySegment.copy(into, JAVA_BYTE, 0, dst.array(), dst.arrayOffset() + dst.position(), (int) n);
        }
        return n;
    }

    /** send(2) with MSG_NOSIGNAL ({@code socket}: EPIPE rather than SIGPIPE) or write(2) of the remaining bytes of {@code src}. */
    static long write(Scratch s, int fd, ByteBuffer src, boolean socket) throws Throwable {
        long len = src.remaining();
        if (src.isDirect()) {
            long at = s.directBase(src) + src.position();
            long n = socket ? (long) sendAt.invokeExact(s, fd, at, len) : (long) writeAt.invokeExact(s, fd, at, len);
            Reference.reachabilityFence(src);
            return n;
        }
        MemorySegment from = outgoing(s, src, len);
        return socket ? (long) sendSeg.invokeExact(s, fd, from, len) : (long) writeSeg.invokeExact(s, fd, from, len);
    }

    /** sendto(2) of the remaining bytes of {@code src}; {@code to} may be NULL (a connected socket). */
    static long sendTo(Scratch s, int fd, ByteBuffer src, MemorySegment to, int toLen) throws Throwable {
        long len = src.remaining();
        if (src.isDirect()) {
            long n = (long) sendToAt.invokeExact(s, fd, s.directBase(src) + src.position(), len, to, toLen);
            Reference.reachabilityFence(src);
            return n;
        }
        return (long) sendToSeg.invokeExact(s, fd, outgoing(s, src, len), len, to, toLen);
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

    private static long readSeg0(Scratch s, int fd, MemorySegment buf, long len) {
        return Libc.read(s, fd, buf, len);
    }

    private static long readAt0(Scratch s, int fd, long buf, long len) {
        return Libc.readAt(s, fd, buf, len);
    }

    private static long writeSeg0(Scratch s, int fd, MemorySegment buf, long len) {
        return Libc.write(s, fd, buf, len);
    }

    private static long writeAt0(Scratch s, int fd, long buf, long len) {
        return Libc.writeAt(s, fd, buf, len);
    }

    private static long sendSeg0(Scratch s, int fd, MemorySegment buf, long len) {
        return Libc.send(s, fd, buf, len, Libc.MSG_NOSIGNAL);
    }

    private static long sendAt0(Scratch s, int fd, long buf, long len) {
        return Libc.sendAt(s, fd, buf, len, Libc.MSG_NOSIGNAL);
    }

    private static long recvFromSeg0(Scratch s, int fd, MemorySegment buf, long len) {
        return Libc.recvFrom(s, fd, buf, len);
    }

    private static long recvFromAt0(Scratch s, int fd, long buf, long len) {
        return Libc.recvFromAt(s, fd, buf, len);
    }

    private static long sendToSeg0(Scratch s, int fd, MemorySegment buf, long len, MemorySegment to, int toLen) {
        return Libc.sendTo(s, fd, buf, len, to, toLen);
    }

    private static long sendToAt0(Scratch s, int fd, long buf, long len, MemorySegment to, int toLen) {
        return Libc.sendToAt(s, fd, buf, len, to, toLen);
    }

    static AssertionError failure(Throwable t) {
        return new AssertionError("a transfer call failed to run", t);
    }
}
