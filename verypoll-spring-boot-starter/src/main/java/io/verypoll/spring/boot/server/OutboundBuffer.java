package io.verypoll.spring.boot.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * The bytes a connection could not write yet, in order, with the limits on them. Three kinds of
 * entry: copies (chunks this buffer allocates for what the socket did not take of a plain write; small
 * writes are appended to the last one), owned buffers (handed over by {@link Connection#writeOwned},
 * kept as they are and released once written or dropped) and streamed bodies (a {@link BodySource}
 * asked for its next chunk only at the head of the queue, once the socket took the previous one).
 * Holds no memory while empty, so an idle connection costs no output buffer. Buffers are kept in read
 * mode (position = next byte to send). Keeps the server's pending-bytes counter in step with its own.
 *
 * <p>Watermarks: {@link #bytes()} counts every queued byte (a body's current chunk included); above
 * the high watermark the buffer is {@linkplain #isOverHigh() over high} (the connection stops reading)
 * until it drains to the low one, and a queued body holds it over high until the body ends: its length
 * is unknown, and reading more requests meanwhile would only queue their replies behind it. The cap
 * counts copies only: they are memory the connection holds for a slow reader, whereas an owned buffer
 * is the application's memory, handed over, and a body holds one chunk.
 *
 * <p>Writes waiting behind offloaded work ({@link ConnectionOffloads}) are not in this queue yet but
 * are {@linkplain #hold held} here: they count for the watermarks, their copies for the cap, and a
 * held body holds the buffer over high, exactly as if they were queued.
 *
 * <p>The application's callbacks (release, next, close) run in the middle of a flush and may use the
 * connection: a write queues behind, a close clears the queue, and the flush then stops.
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

    /** Bytes one flush sends at most before yielding: then it goes on after the loop's other work. */
    static final long FLUSH_BUDGET = 1L << 20;

    /** Chunks one flush asks bodies for at most: empty chunks send nothing, but must not spin the loop. */
    private static final int MAX_PULLS_PER_FLUSH = 256;

    /** Where failures of the application's callbacks go (a release that threw): never into the loop. */
    @FunctionalInterface
    interface Failures {
        void callbackFailed(Throwable error);
    }

    /** A {@link BodySource#next()} threw: the connection closes as for a handler error. */
    static final class BodyFailure extends IOException {
        BodyFailure(Throwable cause) {
            super(cause);
        }
    }

    /** An owned buffer and what releases it (null: nothing, the reference is simply dropped). */
    private record Owned(ByteBuffer buffer, Consumer<? super ByteBuffer> release) {
    }

    /** A streamed body and its chunk being sent (null before the first). */
    private static final class Body {
        final BodySource source;
        ByteBuffer chunk;

        Body(BodySource source) {
            this.source = source;
        }
    }

    private final int lowWatermark;
    private final int highWatermark;
    private final long cap;
    private final Failures failures;
    private final ServerCounters.Stripe counters;
    /** Copies ({@link ByteBuffer}), {@link Owned} buffers and {@link Body} entries, in order; null while empty. */
    private ArrayDeque<Object> entries;
    private long bytes;
    /** Bytes in copy chunks: what the cap limits. */
    private long copied;
    private int bodies;
    /** Bytes, copied bytes and bodies waiting behind offloaded work: counted, not queued here. */
    private long heldBytes;
    private long heldCopied;
    private int heldBodies;
    private boolean overHigh;
    /** The last flush stopped at its budget with more to send: it must go on without a new event. */
    private boolean yielded;

    OutboundBuffer(int lowWatermark, int highWatermark, long cap, Failures failures, ServerCounters.Stripe counters) {
        if (lowWatermark < 0 || lowWatermark >= highWatermark || highWatermark > cap) {
            throw new IllegalArgumentException("need 0 <= low < high <= cap: " + lowWatermark + ", " + highWatermark
                    + ", " + cap);
        }
        this.lowWatermark = lowWatermark;
        this.highWatermark = highWatermark;
        this.cap = cap;
        this.failures = failures;
        this.counters = counters;
    }

    /** Every byte queued: copies, owned buffers, a body's current chunk; and those held behind offloaded work. */
    long bytes() {
        return bytes + heldBytes;
    }

    /** Bytes in copies, queued or held: what max-pending-bytes caps. */
    long copiedBytes() {
        return copied + heldCopied;
    }

    boolean isEmpty() {
        return entries == null;
    }

    /** True from passing the high watermark (or queueing a body) until draining to the low one with no body left. */
    boolean isOverHigh() {
        return overHigh;
    }

    /** At or below the high watermark and no body queued: the writer may go on. */
    boolean isBelowHigh() {
        return bytes + heldBytes <= highWatermark && bodies + heldBodies == 0;
    }

    /** True after a flush that stopped at its budget with more to send. */
    boolean yielded() {
        return yielded;
    }

    /** True when {@code more} bytes of copies would not fit under the cap. */
    boolean wouldExceedCap(long more) {
        return copied + heldCopied + more > cap;
    }

    /** Copies all of {@code src}; check {@link #wouldExceedCap} first. */
    void append(ByteBuffer src) {
        if (!src.hasRemaining()) {
            return;
        }
        ArrayDeque<Object> queue = entries();
        while (src.hasRemaining()) {
            // Appended to the last entry when it is a copy chunk with room (an owned buffer is never written into).
            ByteBuffer tail = queue.peekLast() instanceof ByteBuffer chunk ? chunk : null;
            if (tail == null || tail.limit() == tail.capacity()) {
                tail = ByteBuffer.allocate(Math.max(MIN_CHUNK, Math.min(MAX_CHUNK, src.remaining())));
                tail.limit(0);
                queue.addLast(tail);
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
            added(n);
            copied += n;
        }
        checkHigh();
    }

    /** Queues {@code buffer} itself (no copy); {@code release} (may be null) gets it back once written or dropped. */
    void appendOwned(ByteBuffer buffer, Consumer<? super ByteBuffer> release) {
        entries().addLast(new Owned(buffer, release));
        added(buffer.remaining());
        checkHigh();
    }

    /** Queues a streamed body: over high until it has been sent. */
    void appendBody(BodySource source) {
        entries().addLast(new Body(source));
        bodies++;
        overHigh = true;
    }

    /**
     * {@code n} bytes written behind offloaded work ({@code copy}: copied, so they count against the
     * cap; check {@link #wouldExceedCap} first): counted as pending until {@link #unhold}.
     */
    void hold(long n, boolean copy) {
        heldBytes += n;
        if (copy) {
            heldCopied += n;
        }
        counters.pendingBytes += n;
        checkHigh();
    }

    /** A body written behind offloaded work: over high from now on, as for a queued body. */
    void holdBody() {
        heldBodies++;
        overHigh = true;
    }

    /** Held bytes about to be written for real (or dropped): no longer counted as held. */
    void unhold(long n, boolean copy) {
        heldBytes -= n;
        if (copy) {
            heldCopied -= n;
        }
        counters.pendingBytes -= n;
    }

    void unholdBody() {
        heldBodies--;
    }

    /**
     * After held writes were let go: no longer over high once at or below the low watermark with no
     * body left, the same hysteresis a flush applies. True if no longer over high.
     */
    boolean relieve() {
        settle();
        return !overHigh;
    }

    private void added(long n) {
        bytes += n;
        counters.pendingBytes += n;
    }

    private ArrayDeque<Object> entries() {
        if (entries == null) {
            entries = new ArrayDeque<>(4);
        }
        return entries;
    }

    private void checkHigh() {
        if (bytes + heldBytes > highWatermark) {
            overHigh = true;
        }
    }

    /**
     * Writes until the channel takes no more, nothing is left or the budget is spent ({@link #yielded()});
     * returns the bytes written. Drained to the low watermark with no body left, the buffer is no longer
     * over high; empty, it lets go of its entries.
     *
     * @throws BodyFailure when a body's {@code next()} threw (the body stays queued: clear() closes it)
     */
    long flushTo(WritableByteChannel channel) throws IOException {
        yielded = false;
        ArrayDeque<Object> queue = entries;
        if (queue == null) {
            return 0;
        }
        long written = 0;
        int pulls = 0;
        Object head;
        try {
            while (entries == queue && (head = queue.peekFirst()) != null) {
                ByteBuffer buffer;
                if (head instanceof ByteBuffer chunk) {
                    buffer = chunk;
                } else if (head instanceof Owned owned) {
                    buffer = owned.buffer;
                } else {
                    Body body = (Body) head;
                    buffer = body.chunk;
                    if (buffer == null || !buffer.hasRemaining()) {
                        if (written >= FLUSH_BUDGET || pulls++ == MAX_PULLS_PER_FLUSH) {
                            yielded = true;
                            break;
                        }
                        pull(body);
                        if (body.chunk == null && entries == queue) {
                            queue.pollFirst();
                            bodies--;
                            close(body.source, failures);
                        }
                        continue; // a callback may have cleared the queue: checked at the top
                    }
                }
                long n = writeOut(channel, buffer);
                written += n;
                added(-n);
                if (head == buffer) {
                    copied -= n;
                }
                if (buffer.hasRemaining()) {
                    break; // the socket is full
                }
                if (head == buffer) {
                    queue.pollFirst();
                } else if (head instanceof Owned owned) {
                    queue.pollFirst();
                    release(owned.buffer, owned.release, failures);
                } // else a body: its next chunk at the next turn
            }
        } finally {
            if (entries == queue) {
                settle();
            }
        }
        return written;
    }

    /** Asks {@code body} for its next chunk (null: the body ended). */
    private void pull(Body body) throws BodyFailure {
        body.chunk = null;
        ByteBuffer chunk;
        try {
            chunk = body.source.next();
        } catch (Throwable e) {
            throw new BodyFailure(e);
        }
        if (chunk != null && entries != null) {
            body.chunk = chunk;
            added(chunk.remaining());
        }
    }

    /** After sending: below the low watermark with no body, no longer over high; empty, lets go of the queue. */
    private void settle() {
        if (bytes + heldBytes <= lowWatermark && bodies + heldBodies == 0) {
            overHigh = false;
        }
        if (entries != null && entries.isEmpty()) {
            entries = null;
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

    /** Closes {@code source} (a body done or dropped); a failure goes to {@code failures}. */
    static void close(BodySource source, Failures failures) {
        try {
            source.close();
        } catch (Throwable e) {
            failures.callbackFailed(e);
        }
    }

    /**
     * Drops everything queued (the connection closed), releasing owned buffers and closing bodies;
     * returns the bytes dropped. Held writes are the offloads' to drop (with {@link #unhold}).
     */
    long clear() {
        long dropped = bytes;
        ArrayDeque<Object> queue = entries;
        entries = null;
        added(-bytes);
        copied = 0;
        bodies = 0;
        overHigh = false;
        if (queue != null) {
            for (Object entry : queue) {
                if (entry instanceof Owned owned) {
                    release(owned.buffer, owned.release, failures);
                } else if (entry instanceof Body body) {
                    close(body.source, failures);
                }
            }
        }
        return dropped;
    }
}
