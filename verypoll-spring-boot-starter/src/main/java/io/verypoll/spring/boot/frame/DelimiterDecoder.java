package io.verypoll.spring.boot.frame;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Frames ended by a delimiter of one or more bytes: a frame ends at the delimiter's first
 * occurrence. The content excludes the delimiter unless {@link #keepingDelimiter()} is asked
 * for. Immutable and stateless (unless {@link #resumable()}): one instance serves every connection.
 *
 * <p>{@code maxFrameLength} bounds the content: stripped, the delimiter does not count; kept, it does.
 *
 * <p>Scanning looks for the delimiter's first byte and compares the rest there. The caller calls
 * again from the same start as bytes arrive, so an incomplete frame is rescanned each time; the
 * scan stops where a legal delimiter can no longer start, which bounds each call to
 * O(maxFrameLength) (times the delimiter's length, for delimiters that repeat their first byte).
 * {@link #resumable()} gives a stateful variant for slow senders that remembers where the scan of
 * a pending frame stopped and goes on from there: O(bytes received) per frame. One per connection:
 * {@code FrameDecoders.perConnection(() -> FrameDecoders.delimitedBy("\0", 4096).resumable())}.
 */
public final class DelimiterDecoder implements FrameDecoder {

    private final byte[] delimiter;
    private final int maxFrameLength;
    private final boolean keepDelimiter;
    private final boolean resumable;
    /** Resumable only: where, from the pending frame's start, the delimiter may still start. */
    private int resumeAt;

    DelimiterDecoder(byte[] delimiter, int maxFrameLength, boolean keepDelimiter) {
        this(delimiter, maxFrameLength, keepDelimiter, false);
    }

    private DelimiterDecoder(byte[] delimiter, int maxFrameLength, boolean keepDelimiter, boolean resumable) {
        if (delimiter.length == 0) {
            throw new IllegalArgumentException("the delimiter needs at least one byte");
        }
        if (maxFrameLength < 1) {
            throw new IllegalArgumentException("maxFrameLength must be at least 1: " + maxFrameLength);
        }
        if (keepDelimiter && maxFrameLength < delimiter.length) {
            // A kept delimiter counts, so no frame could ever pass.
            throw new IllegalArgumentException("maxFrameLength " + maxFrameLength
                    + " is shorter than the kept delimiter (" + delimiter.length + " bytes)");
        }
        this.delimiter = delimiter.clone();
        this.maxFrameLength = maxFrameLength;
        this.keepDelimiter = keepDelimiter;
        this.resumable = resumable;
    }

    /** The same delimiter and limit, with the delimiter left at the end of each frame's content. */
    public DelimiterDecoder keepingDelimiter() {
        return new DelimiterDecoder(delimiter, maxFrameLength, true, resumable);
    }

    /**
     * A new, stateful decoder with the same settings that resumes its scan where the previous call
     * on an incomplete frame stopped. Not shareable: one per connection, used by one thread.
     */
    public DelimiterDecoder resumable() {
        return new DelimiterDecoder(delimiter, maxFrameLength, keepDelimiter, true);
    }

    public boolean isResumable() {
        return resumable;
    }

    /** A copy of the delimiter. */
    public byte[] delimiter() {
        return delimiter.clone();
    }

    public int maxFrameLength() {
        return maxFrameLength;
    }

    public boolean keepsDelimiter() {
        return keepDelimiter;
    }

    /** The delimiter when stripped; nothing when kept, as it is content then. */
    @Override
    public int maxFramingLength() {
        return keepDelimiter ? 0 : delimiter.length;
    }

    @Override
    public int decode(ByteBuffer in) {
        int start = in.position();
        int limit = in.limit();
        int length = delimiter.length;
        // Where a delimiter may start: fully inside the bytes given, and early enough for the
        // content to stay within the limit.
        long lastLegal = start + (long) maxFrameLength - (keepDelimiter ? length : 0);
        int last = (int) Math.min(limit - (long) length, lastLegal);
        byte first = delimiter[0];
        // The caller calls again from the same start with bytes appended, so the places an earlier
        // call checked still hold no delimiter; fewer bytes than that means a new stream.
        int from = resumable && resumeAt <= limit - start ? start + resumeAt : start;
        for (int i = from; i <= last; i++) {
            if (in.get(i) == first && matchesAt(in, i)) {
                forget();
                int contentEnd = keepDelimiter ? i + length : i;
                in.limit(contentEnd);
                return i + length - start;
            }
        }
        // Not found: the earliest the delimiter can still start is just past the last place checked.
        long firstOpen = Math.max(start, last + 1L);
        long atLeast = firstOpen - start + (keepDelimiter ? length : 0);
        if (atLeast > maxFrameLength) {
            forget();
            throw new FrameTooLongException(atLeast, maxFrameLength);
        }
        if (resumable) {
            resumeAt = (int) (firstOpen - start);
        }
        return 0;
    }

    /** The next call starts a new frame. Writes only when resumable: loops sharing an instance never write to it. */
    private void forget() {
        if (resumable) {
            resumeAt = 0;
        }
    }

    private boolean matchesAt(ByteBuffer in, int index) {
        for (int k = 1; k < delimiter.length; k++) {
            if (in.get(index + k) != delimiter[k]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "DelimiterDecoder[delimiter=" + Arrays.toString(delimiter) + ", maxFrameLength=" + maxFrameLength
                + ", keepDelimiter=" + keepDelimiter + (resumable ? ", resumable" : "") + "]";
    }
}
