package io.verypoll.epoll;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.net.SocketAddress;
import java.nio.ByteBuffer;

/**
 * Native memory of one thread for the arguments and results of the {@link Libc} calls: errno, a
 * socket address, its length, a few ints, one epoll_event. Per thread, so any thread may do
 * I/O, and allocated once per thread, so a call allocates nothing.
 */
final class Scratch {
    static final int ADDR_SIZE = 128; // sizeof(struct sockaddr_storage)
    private static final ThreadLocal<Scratch> OF_THREAD = ThreadLocal.withInitial(Scratch::new);

    final MemorySegment errnoState;
    final MemorySegment addr;
    final MemorySegment addrLen;
    final MemorySegment ints;
    final MemorySegment event;
    /** A datagram's target, kept encoded while the same target object comes back. */
    final MemorySegment targetAddr;
    private SocketAddress lastTarget;
    private int lastTargetFamily;
    private int lastTargetLen;

    private Scratch() {
        // Freed with the Scratch, when its thread is gone.
        MemorySegment all = Arena.ofAuto().allocate(384, 8);
        errnoState = all.asSlice(0, Linker.Option.captureStateLayout().byteSize());
        addr = all.asSlice(32, ADDR_SIZE);
        addrLen = all.asSlice(160, 4);
        ints = all.asSlice(168, 16);
        event = all.asSlice(192, 16);
        targetAddr = all.asSlice(256, ADDR_SIZE);
    }

    /**
     * The buffers and arrays this thread used last, a few of each (a loop often reads into one
     * and writes from another), kept so that a call makes no object (see Transfer).
     */
    private static final int KEPT = 4;
    private final ByteBuffer[] directs = new ByteBuffer[KEPT];
    private final long[] directBases = new long[KEPT];
    private int nextDirect;
    private final byte[][] arrays = new byte[KEPT][];
    private final MemorySegment[] arraySegments = new MemorySegment[KEPT];
    private int nextArray;
    private MemorySegment bounce = MemorySegment.NULL;

    /** The address of {@code direct}'s element 0, found once per buffer. */
    long directBase(ByteBuffer direct) {
        for (int i = 0; i < KEPT; i++) {
            if (directs[i] == direct) {
                return directBases[i];
            }
        }
        int i = nextDirect++ & (KEPT - 1);
        directBases[i] = MemorySegment.ofBuffer(direct).address() - direct.position();
        directs[i] = direct;
        return directBases[i];
    }

    /** A segment over all of {@code array}, made once per array. */
    MemorySegment arraySegment(byte[] array) {
        for (int i = 0; i < KEPT; i++) {
            if (arrays[i] == array) {
                return arraySegments[i];
            }
        }
        int i = nextArray++ & (KEPT - 1);
        arraySegments[i] = MemorySegment.ofArray(array);
        arrays[i] = array;
        return arraySegments[i];
    }

    /** Native memory of at least {@code size} bytes, grown as needed and then kept (as NIO keeps its temporary buffers). */
    MemorySegment bounce(int size) {
        if (bounce.byteSize() < size) {
            bounce = Arena.ofAuto().allocate(Math.max(size, 16 * 1024), 8);
        }
        return bounce;
    }

    /** Encodes {@code target} into {@link #targetAddr} unless it is there already; returns its length. */
    int target(SocketAddress target, int family) throws IOException {
        if (target != lastTarget || family != lastTargetFamily) {
            lastTarget = null;
            lastTargetLen = Sockaddr.encode(target, family, targetAddr);
            lastTarget = target;
            lastTargetFamily = family;
        }
        return lastTargetLen;
    }

    static Scratch get() {
        return OF_THREAD.get();
    }

    int errno() {
        return errnoState.get(JAVA_INT, Libc.ERRNO_OFFSET);
    }
}
