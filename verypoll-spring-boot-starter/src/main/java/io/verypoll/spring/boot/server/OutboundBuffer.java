package io.verypoll.spring.boot.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayDeque;

/**
 * The bytes a connection could not write yet, with the limits on them: above the high watermark the
 * buffer is {@linkplain #isOverHigh() over high} (the connection stops reading) until it drains to
 * the low watermark; past the cap nothing more is taken. Holds no memory while empty, so an idle
 * connection costs no output buffer. Chunks are kept in read mode (position = next byte to send,
 * limit = end of data) and small writes are appended to the last chunk.
 */
final class OutboundBuffer {

    private static final int MIN_CHUNK = 4 * 1024;
    private static final int MAX_CHUNK = 64 * 1024;

    private final int lowWatermark;
    private final int highWatermark;
    private final long cap;
    private ArrayDeque<ByteBuffer> chunks;
    private long bytes;
    private boolean overHigh;

    OutboundBuffer(int lowWatermark, int highWatermark, long cap) {
        if (lowWatermark < 0 || lowWatermark >= highWatermark || highWatermark > cap) {
            throw new IllegalArgumentException("need 0 <= low < high <= cap: " + lowWatermark + ", " + highWatermark
                    + ", " + cap);
        }
        this.lowWatermark = lowWatermark;
        this.highWatermark = highWatermark;
        this.cap = cap;
    }

    long bytes() {
        return bytes;
    }

    boolean isEmpty() {
        return bytes == 0;
    }

    /** True from passing the high watermark until draining to the low one. */
    boolean isOverHigh() {
        return overHigh;
    }

    /** At or below the high watermark: the writer may go on. */
    boolean isBelowHigh() {
        return bytes <= highWatermark;
    }

    /** True when {@code more} bytes would not fit under the cap. */
    boolean wouldExceedCap(long more) {
        return bytes + more > cap;
    }

    /** Takes all of {@code src}; check {@link #wouldExceedCap} first. */
    void append(ByteBuffer src) {
        if (chunks == null) {
            chunks = new ArrayDeque<>(4);
        }
        while (src.hasRemaining()) {
            ByteBuffer tail = chunks.peekLast();
            if (tail == null || tail.limit() == tail.capacity()) {
                tail = ByteBuffer.allocate(Math.max(MIN_CHUNK, Math.min(MAX_CHUNK, src.remaining())));
                tail.limit(0);
                chunks.addLast(tail);
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
        }
        if (bytes > highWatermark) {
            overHigh = true;
        }
    }

    /**
     * Writes until the channel takes no more or nothing is left; returns the bytes written. Drained
     * to the low watermark, the buffer is no longer over high; empty, it lets go of its chunks.
     */
    long flushTo(WritableByteChannel channel) throws IOException {
        if (chunks == null) {
            return 0;
        }
        long written = 0;
        ByteBuffer head;
        while ((head = chunks.peekFirst()) != null) {
            int n = channel.write(head);
            written += n;
            bytes -= n;
            if (head.hasRemaining()) {
                break;
            }
            chunks.pollFirst();
        }
        if (bytes <= lowWatermark) {
            overHigh = false;
        }
        if (bytes == 0) {
            chunks = null;
        }
        return written;
    }

    /** Drops everything (the connection closed); returns the bytes dropped. */
    long clear() {
        long dropped = bytes;
        chunks = null;
        bytes = 0;
        overHigh = false;
        return dropped;
    }
}
