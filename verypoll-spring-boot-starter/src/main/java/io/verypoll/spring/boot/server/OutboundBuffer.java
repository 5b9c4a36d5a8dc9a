package io.verypoll.spring.boot.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * The bytes a connection could not write yet, in order, with the limits on them. Two kinds of entry:
 * copies (chunks this buffer allocates for what the socket did not take of a plain write; small writes
 * are appended to the last one) and owned buffers (handed over by {@link Connection#writeOwned}, kept
 * as they are and released once written or dropped). Holds no memory while empty, so an idle
 * connection costs no output buffer. Buffers are kept in read mode (position = next byte to send).
 *
 * <p>Watermarks: {@link #bytes()} counts every queued byte; above the high watermark the buffer is
 * {@linkplain #isOverHigh() over high} (the connection stops reading) until it drains to the low one.
 * The cap counts copies only: they are memory the connection holds for a slow reader, whereas an owned
 * buffer is the application's memory, handed over, and may be larger than the cap.
 */
final class OutboundBuffer {

    private static final int MIN_CHUNK = 4 * 1024;
    private static final int MAX_CHUNK = 64 * 1024;

    /**
     * Bytes of a heap buffer offered per write call. The JDK copies all that remains of a heap buffer
     * into a temporary direct buffer at every write, however little the socket then takes: a 5 MiB
     * owned buffer offered whole to a slow reader would be copied 5 MiB at a time.
     */
    static final int HEAP_WRITE_SLICE = 256 * 1024;

    /** Where failures of the application's callbacks go (a release that threw): never into the loop. */
    @FunctionalInterface
    interface Failures {
        void callbackFailed(Throwable error);
    }

    /** An owned buffer and what releases it (null: nothing, the reference is simply dropped). */
    private record Owned(ByteBuffer buffer, Consumer<? super ByteBuffer> release) {
    }

    private final int lowWatermark;
    private final int highWatermark;
    private final long cap;
    private final Failures failures;
    /** Copies ({@link ByteBuffer}) and {@link Owned} buffers, in order; null while empty. */
    private ArrayDeque<Object> entries;
    /** The last copy chunk while it is the last entry: small copies are appended to it. */
    private ByteBuffer appendable;
    private long bytes;
    /** Bytes in copy chunks: what the cap limits. */
    private long copied;
    private boolean overHigh;

    OutboundBuffer(int lowWatermark, int highWatermark, long cap, Failures failures) {
        if (lowWatermark < 0 || lowWatermark >= highWatermark || highWatermark > cap) {
            throw new IllegalArgumentException("need 0 <= low < high <= cap: " + lowWatermark + ", " + highWatermark
                    + ", " + cap);
        }
        this.lowWatermark = lowWatermark;
        this.highWatermark = highWatermark;
        this.cap = cap;
        this.failures = failures;
    }

    /** Every byte queued: copies and owned buffers. */
    long bytes() {
        return bytes;
    }

    /** Bytes queued in copies: what max-pending-bytes caps. */
    long copiedBytes() {
        return copied;
    }

    boolean isEmpty() {
        return entries == null;
    }

    /** True from passing the high watermark until draining to the low one. */
    boolean isOverHigh() {
        return overHigh;
    }

    /** At or below the high watermark: the writer may go on. */
    boolean isBelowHigh() {
        return bytes <= highWatermark;
    }

    /** True when {@code more} bytes of copies would not fit under the cap. */
    boolean wouldExceedCap(long more) {
        return copied + more > cap;
    }

    /** Copies all of {@code src}; check {@link #wouldExceedCap} first. */
    void append(ByteBuffer src) {
        if (!src.hasRemaining()) {
            return;
        }
        ArrayDeque<Object> queue = entries();
        while (src.hasRemaining()) {
            ByteBuffer tail = appendable;
            if (tail == null || tail.limit() == tail.capacity()) {
                tail = ByteBuffer.allocate(Math.max(MIN_CHUNK, Math.min(MAX_CHUNK, src.remaining())));
                tail.limit(0);
                queue.addLast(tail);
                appendable = tail;
            }
            int n = Math.min(tail.capacity() - tail.limit(), src.remaining());
            int readPosition = tail.position();
            int end = tail.limit();
            tail.limit(end + n).position(end);
            int srcLimit = src.limit();
            src.limit(src.position() + n);
            tail.put(src);
            src.limit(srcLimit);
            tail.position(readPosition);
            bytes += n;
            copied += n;
        }
        checkHigh();
    }

    /** Queues {@code buffer} itself (no copy); {@code release} (may be null) gets it back once written or dropped. */
    void appendOwned(ByteBuffer buffer, Consumer<? super ByteBuffer> release) {
        entries().addLast(new Owned(buffer, release));
        appendable = null;
        bytes += buffer.remaining();
        checkHigh();
    }

    private ArrayDeque<Object> entries() {
        if (entries == null) {
            entries = new ArrayDeque<>(4);
        }
        return entries;
    }

    private void checkHigh() {
        if (bytes > highWatermark) {
            overHigh = true;
        }
    }

    /**
     * Writes until the channel takes no more or nothing is left; returns the bytes written. Drained
     * to the low watermark, the buffer is no longer over high; empty, it lets go of its entries.
     */
    long flushTo(WritableByteChannel channel) throws IOException {
        if (entries == null) {
            return 0;
        }
        long written = 0;
        Object head;
        try {
            while ((head = entries.peekFirst()) != null) {
                boolean copy = head instanceof ByteBuffer;
                ByteBuffer buffer = copy ? (ByteBuffer) head : ((Owned) head).buffer;
                long n = writeOut(channel, buffer);
                written += n;
                bytes -= n;
                if (copy) {
                    copied -= n;
                }
                if (buffer.hasRemaining()) {
                    break; // the socket is full
                }
                entries.pollFirst();
                if (copy) {
                    if (buffer == appendable) {
                        appendable = null;
                    }
                } else {
                    release((Owned) head);
                }
            }
        } finally {
            settle();
        }
        return written;
    }

    /** After sending: below the low watermark no longer over high; empty, lets go of the queue. */
    private void settle() {
        if (bytes <= lowWatermark) {
            overHigh = false;
        }
        if (entries != null && entries.isEmpty()) {
            entries = null;
            appendable = null;
        }
    }

    /**
     * Writes {@code src} until it is empty or the channel takes less than it was offered (it is full).
     * A heap buffer is offered {@link #HEAP_WRITE_SLICE} bytes per call.
     */
    static long writeOut(WritableByteChannel channel, ByteBuffer src) throws IOException {
        long written = 0;
        while (src.hasRemaining()) {
            int offered = src.isDirect() ? src.remaining() : Math.min(src.remaining(), HEAP_WRITE_SLICE);
            int n;
            if (offered == src.remaining()) {
                n = channel.write(src);
            } else {
                int limit = src.limit();
                src.limit(src.position() + offered);
                try {
                    n = channel.write(src);
                } finally {
                    src.limit(limit);
                }
            }
            written += n;
            if (n < offered) {
                break;
            }
        }
        return written;
    }

    /** Gives {@code buffer} back through {@code release} (null: nothing to do); a failure goes to {@code failures}. */
    static void release(ByteBuffer buffer, Consumer<? super ByteBuffer> release, Failures failures) {
        if (release == null) {
            return;
        }
        try {
            release.accept(buffer);
        } catch (Throwable e) {
            failures.callbackFailed(e);
        }
    }

    private void release(Owned owned) {
        release(owned.buffer, owned.release, failures);
    }

    /** Drops everything (the connection closed), releasing owned buffers; returns the bytes dropped. */
    long clear() {
        long dropped = bytes;
        ArrayDeque<Object> queue = entries;
        entries = null;
        appendable = null;
        bytes = 0;
        copied = 0;
        overHigh = false;
        if (queue != null) {
            for (Object entry : queue) {
                if (entry instanceof Owned owned) {
                    release(owned);
                }
            }
        }
        return dropped;
    }
}
