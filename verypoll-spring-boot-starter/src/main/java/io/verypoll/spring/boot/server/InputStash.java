package io.verypoll.spring.boot.server;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The input of one framed connection that the loop's read buffer cannot keep: the tail of an
 * incomplete frame, or, while reading is paused, the bytes not yet framed. Holds no memory while
 * empty, so an idle connection costs nothing here; sized to what it holds, grown by doubling up to
 * a soft maximum (a whole frame) and beyond only as far as needed. When the decoder has said how
 * long the frame being stashed will be, the stash makes room for all of it at once: a large frame
 * is then copied once, from the read buffer into its final array, with no regrowth, and that array
 * can be {@linkplain #detach() handed} to the application whole.
 *
 * <p>Every byte of capacity is counted against the server's total, shared by its loops: an append
 * that would take the total over the cap is refused, and the caller closes the connection.
 */
final class InputStash {

    /** Smallest array made: small tails of pipelined frames come and go without regrowing. */
    private static final int MIN_CAPACITY = 256;
    /**
     * Most room made past an announced length (1/64 of it up to this): a decoder that announces a
     * lower bound (a RESP command with short options after its value) still finds room for the end.
     */
    private static final int MAX_HEADROOM = 4096;

    private final AtomicLong serverTotal;
    private final long serverCap;
    private final int softMax;
    private byte[] bytes;
    private ByteBuffer buffer;
    private int start;
    private int end;
    /** Arrays made (growth events): for tests that check a frame announced in advance costs one. */
    private long arraysMade;

    /**
     * @param serverTotal the capacity held by all stashes of the server
     * @param serverCap what the total may not exceed
     * @param softMax capacity past which growth stops doubling (the longest frame and its framing)
     */
    InputStash(AtomicLong serverTotal, long serverCap, int softMax) {
        this.serverTotal = serverTotal;
        this.serverCap = serverCap;
        this.softMax = softMax;
    }

    boolean isEmpty() {
        return start == end;
    }

    int size() {
        return end - start;
    }

    /** The capacity held (what the server counts). */
    int capacity() {
        return bytes == null ? 0 : bytes.length;
    }

    /**
     * The bytes held, between the returned buffer's position and limit. The buffer is the stash's
     * own (heap): the caller may move its position and limit, and must not keep it.
     */
    ByteBuffer bytes() {
        return buffer.limit(end).position(start);
    }

    /** Drops the first {@code n} bytes; all of them lets go of the memory. */
    void consume(int n) {
        start += n;
        if (start >= end) {
            release();
        }
    }

    /** Arrays made so far, for tests: each growth (and each fresh start after a release) makes one. */
    long arraysMade() {
        return arraysMade;
    }

    /**
     * Appends {@code src}'s bytes {@code [from, to)} (absolute indices; src's position and limit
     * stay). Returns false, appending nothing, when growing would take the server over its cap.
     */
    boolean append(ByteBuffer src, int from, int to) {
        return append(src, from, to, 0);
    }

    /**
     * Appends as {@link #append(ByteBuffer, int, int)}, and if the stash must grow, makes room for
     * {@code expected} bytes in all (what it holds included) when that is more: the length of the
     * frame it holds the start of, as the decoder announced it. The caller has checked
     * {@code expected} against the frame limit; the server's cap is checked here, before anything
     * is allocated.
     */
    boolean append(ByteBuffer src, int from, int to, long expected) {
        int n = to - from;
        if (n == 0) {
            return true;
        }
        int size = end - start;
        if (bytes == null || end + n > bytes.length) {
            if (!makeRoom(size, n, expected)) {
                return false;
            }
        }
        src.get(from, bytes, end, n);
        end += n;
        return true;
    }

    private boolean makeRoom(int size, int more, long expected) {
        long needed = Math.max((long) size + more, expected);
        if (needed > Integer.MAX_VALUE - 8) {
            return false;
        }
        int capacity = capacity();
        if (bytes != null && needed <= capacity) {
            System.arraycopy(bytes, start, bytes, 0, size); // room at the front: slide down
            start = 0;
            end = size;
            return true;
        }
        long cap = Math.max(softMax, needed);
        long doubled = Math.min(Math.max(2L * capacity, MIN_CAPACITY), cap);
        // An announced length gets a little headroom; growing still doubles, so lengths announced
        // bit by bit cost O(log) regrowths, not one per announcement.
        long announced = expected > (long) size + more ? Math.min(needed + Math.min(needed >>> 6, MAX_HEADROOM), cap) : 0;
        int grown = (int) Math.max(Math.max(needed, announced), doubled);
        if (!reserve(grown - capacity)) {
            return false;
        }
        byte[] larger = new byte[grown];
        arraysMade++;
        if (size > 0) {
            System.arraycopy(bytes, start, larger, 0, size);
        }
        bytes = larger;
        buffer = ByteBuffer.wrap(larger);
        start = 0;
        end = size;
        return true;
    }

    /** Compare-and-set, so that the total is never seen above the cap, not even for a moment. */
    private boolean reserve(long more) {
        long total;
        do {
            total = serverTotal.get();
            if (total + more > serverCap) {
                return false;
            }
        } while (!serverTotal.compareAndSet(total, total + more));
        return true;
    }

    /**
     * Hands the array over to the caller, as the stash's own buffer with position and limit at the
     * bytes held (no copy), and starts afresh, empty: the next append makes a new array. The
     * array's capacity leaves the server's count, as the application holds it from now on.
     */
    ByteBuffer detach() {
        ByteBuffer held = bytes();
        serverTotal.addAndGet(-bytes.length);
        bytes = null;
        buffer = null;
        start = 0;
        end = 0;
        return held;
    }

    /** Drops what is held and gives the memory back (to the heap and to the server's count). */
    void release() {
        if (bytes != null) {
            serverTotal.addAndGet(-bytes.length);
            bytes = null;
            buffer = null;
        }
        start = 0;
        end = 0;
    }
}
