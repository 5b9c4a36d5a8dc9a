package io.verypoll.epoll;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;

/**
 * The calls that move bytes between a buffer and a descriptor, each a compilation unit of its own.
 *
 * <p>A downcall makes two short-lived objects: the buffer's {@link MemorySegment} and the JDK's
 * slice of the errno capture. Escape analysis removes both when the JIT inlines the whole downcall
 * path, about ten levels of JDK methods under the call. Inlined into a deep caller (an event loop's
 * handler, say), the JIT runs out of inlining depth inside that path and allocates both on every
 * call: 72 bytes per read or write, measured. So callers reach these methods through method handles
 * the JIT cannot see through, because the fields are not final (on purpose): each method is then
 * compiled on its own, from depth zero, and allocates nothing. The price is one indirect call.
 * Nothing loops around these calls either, here or in the callers: a retry loop around the
 * downcall defeats escape analysis too (measured). A non-blocking call returns EINTR hardly ever;
 * the callers treat it as would-block and ask the kernel to report the descriptor again.
 *
 * <p>Heap and direct buffers have methods of their own, identical but for the name: one method
 * seeing both kinds merges two kinds of segment, which escape analysis cannot remove either.
 *
 * <p>Each method returns the call's result: bytes, or -1 with errno in the scratch.
 */
final class Transfer {
    // Not final: see above. Written once, here. Pick the field by ByteBuffer.isDirect().
    static MethodHandle readHeap;
    static MethodHandle readDirect;
    static MethodHandle writeHeap;
    static MethodHandle writeDirect;
    static MethodHandle sendHeap;
    static MethodHandle sendDirect;
    static MethodHandle recvFromHeap;
    static MethodHandle recvFromDirect;
    static MethodHandle sendToHeap;
    static MethodHandle sendToDirect;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            MethodType io = MethodType.methodType(long.class, Libc.Scratch.class, int.class, ByteBuffer.class);
            MethodType to = io.appendParameterTypes(MemorySegment.class, int.class);
            readHeap = lookup.findStatic(Transfer.class, "readHeap0", io);
            readDirect = lookup.findStatic(Transfer.class, "readDirect0", io);
            writeHeap = lookup.findStatic(Transfer.class, "writeHeap0", io);
            writeDirect = lookup.findStatic(Transfer.class, "writeDirect0", io);
            sendHeap = lookup.findStatic(Transfer.class, "sendHeap0", io);
            sendDirect = lookup.findStatic(Transfer.class, "sendDirect0", io);
            recvFromHeap = lookup.findStatic(Transfer.class, "recvFromHeap0", io);
            recvFromDirect = lookup.findStatic(Transfer.class, "recvFromDirect0", io);
            sendToHeap = lookup.findStatic(Transfer.class, "sendToHeap0", to);
            sendToDirect = lookup.findStatic(Transfer.class, "sendToDirect0", to);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Transfer() {
    }

    /** read(2) into the buffer's remaining room; the position is the caller's to move. */
    private static long readHeap0(Libc.Scratch s, int fd, ByteBuffer b) {
        return Libc.read(s, fd, MemorySegment.ofBuffer(b), b.remaining());
    }

    /** read(2) into the buffer's remaining room; the position is the caller's to move. */
    private static long readDirect0(Libc.Scratch s, int fd, ByteBuffer b) {
        return Libc.read(s, fd, MemorySegment.ofBuffer(b), b.remaining());
    }

    /** write(2) of the buffer's remaining bytes (pipes). */
    private static long writeHeap0(Libc.Scratch s, int fd, ByteBuffer b) {
        return Libc.write(s, fd, MemorySegment.ofBuffer(b), b.remaining());
    }

    /** write(2) of the buffer's remaining bytes (pipes). */
    private static long writeDirect0(Libc.Scratch s, int fd, ByteBuffer b) {
        return Libc.write(s, fd, MemorySegment.ofBuffer(b), b.remaining());
    }

    /** send(2) with MSG_NOSIGNAL (sockets: EPIPE rather than SIGPIPE). */
    private static long sendHeap0(Libc.Scratch s, int fd, ByteBuffer b) {
        return Libc.send(s, fd, MemorySegment.ofBuffer(b), b.remaining(), Libc.MSG_NOSIGNAL);
    }

    /** send(2) with MSG_NOSIGNAL (sockets: EPIPE rather than SIGPIPE). */
    private static long sendDirect0(Libc.Scratch s, int fd, ByteBuffer b) {
        return Libc.send(s, fd, MemorySegment.ofBuffer(b), b.remaining(), Libc.MSG_NOSIGNAL);
    }

    /** recvfrom(2) into the buffer's room, the sender in {@code s.addr}. */
    private static long recvFromHeap0(Libc.Scratch s, int fd, ByteBuffer b) {
        return Libc.recvFrom(s, fd, MemorySegment.ofBuffer(b), b.remaining());
    }

    /** recvfrom(2) into the buffer's room, the sender in {@code s.addr}. */
    private static long recvFromDirect0(Libc.Scratch s, int fd, ByteBuffer b) {
        return Libc.recvFrom(s, fd, MemorySegment.ofBuffer(b), b.remaining());
    }

    /** sendto(2); {@code to} may be NULL (a connected socket). */
    private static long sendToHeap0(Libc.Scratch s, int fd, ByteBuffer b, MemorySegment to, int toLen) {
        return Libc.sendTo(s, fd, MemorySegment.ofBuffer(b), b.remaining(), to, toLen);
    }

    /** sendto(2); {@code to} may be NULL (a connected socket). */
    private static long sendToDirect0(Libc.Scratch s, int fd, ByteBuffer b, MemorySegment to, int toLen) {
        return Libc.sendTo(s, fd, MemorySegment.ofBuffer(b), b.remaining(), to, toLen);
    }

    static AssertionError failure(Throwable t) {
        return new AssertionError("a transfer call failed to run", t);
    }
}
