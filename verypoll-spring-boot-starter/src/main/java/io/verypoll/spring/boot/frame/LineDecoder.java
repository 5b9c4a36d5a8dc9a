package io.verypoll.spring.boot.frame;

import java.nio.ByteBuffer;

/**
 * Lines ended by LF; a CR right before the LF belongs to the terminator, so LF and CRLF both
 * work. The content excludes the terminator unless {@link #keepingTerminator()} is asked for. A
 * lone CR elsewhere is content. Immutable and stateless (unless {@link #resumable()}): one
 * instance serves every connection.
 *
 * <p>{@link #resumable()} gives a stateful variant for slow senders: it remembers how far it
 * scanned a pending line, so the caller's next call (same start, more bytes) scans only the new
 * bytes, O(bytes received) per line instead of O(bytes waiting) per call. One per connection:
 * {@code FrameDecoders.perConnection(() -> FrameDecoders.lines(8192).resumable())}.
 *
 * <p>{@code maxFrameLength} bounds the content: with the terminator stripped a line of exactly
 * that many bytes passes whether it ends in LF or CRLF; kept, the terminator counts.
 */
public final class LineDecoder implements FrameDecoder {

    private static final byte LF = '\n';
    private static final byte CR = '\r';

    private final int maxFrameLength;
    private final boolean keepTerminator;
    private final boolean resumable;
    /** Resumable only: how many bytes from the pending line's start are known to hold no LF. */
    private int scanned;

    LineDecoder(int maxFrameLength, boolean keepTerminator) {
        this(maxFrameLength, keepTerminator, false);
    }

    private LineDecoder(int maxFrameLength, boolean keepTerminator, boolean resumable) {
        if (maxFrameLength < 1) {
            throw new IllegalArgumentException("maxFrameLength must be at least 1: " + maxFrameLength);
        }
        this.maxFrameLength = maxFrameLength;
        this.keepTerminator = keepTerminator;
        this.resumable = resumable;
    }

    /** The same limit, with each line's LF or CRLF left in its content. */
    public LineDecoder keepingTerminator() {
        return new LineDecoder(maxFrameLength, true, resumable);
    }

    /**
     * A new, stateful decoder with the same settings that resumes its scan where the previous call
     * on an incomplete line stopped. Not shareable: one per connection, used by one thread.
     */
    public LineDecoder resumable() {
        return new LineDecoder(maxFrameLength, keepTerminator, true);
    }

    public boolean isResumable() {
        return resumable;
    }

    public int maxFrameLength() {
        return maxFrameLength;
    }

    public boolean keepsTerminator() {
        return keepTerminator;
    }

    /** CRLF when stripped; nothing when kept, as the terminator is content then. */
    @Override
    public int maxFramingLength() {
        return keepTerminator ? 0 : 2;
    }

    @Override
    public int decode(ByteBuffer in) {
        int start = in.position();
        int limit = in.limit();
        // The LF of a legal line lies within this many bytes (stripped: content, CR, LF), so a
        // call scans at most that far however much is buffered: O(maxFrameLength) per call.
        long window = keepTerminator ? maxFrameLength : maxFrameLength + 2L;
        int end = (int) Math.min(limit, start + window);
        // The caller calls again from the same start with bytes appended, so what an earlier call
        // scanned still holds no LF; fewer bytes than that means a new stream: scan it all.
        int from = resumable && scanned <= end - start ? start + scanned : start;
        for (int i = from; i < end; i++) {
            if (in.get(i) == LF) {
                forget();
                return frame(in, start, i);
            }
        }
        int seen = end - start;
        // No LF in the bytes seen: the content holds them all (and the LF, if kept), except a
        // last CR that an LF may still turn into a terminator.
        long atLeast = keepTerminator ? seen + 1L : seen > 0 && in.get(end - 1) == CR ? seen - 1L : seen;
        if (atLeast > maxFrameLength) {
            forget();
            throw new FrameTooLongException(atLeast, maxFrameLength);
        }
        if (resumable) {
            scanned = seen;
        }
        return 0;
    }

    /** The next call starts a new line. Writes only when resumable: loops sharing an instance never write to it. */
    private void forget() {
        if (resumable) {
            scanned = 0;
        }
    }

    private int frame(ByteBuffer in, int start, int lf) {
        int consumed = lf + 1 - start;
        int contentEnd = keepTerminator ? lf + 1 : lf > start && in.get(lf - 1) == CR ? lf - 1 : lf;
        int length = contentEnd - start;
        if (length > maxFrameLength) {
            throw new FrameTooLongException(length, maxFrameLength);
        }
        in.limit(contentEnd);
        return consumed;
    }

    @Override
    public String toString() {
        return "LineDecoder[maxFrameLength=" + maxFrameLength + ", keepTerminator=" + keepTerminator
                + (resumable ? ", resumable" : "") + "]";
    }
}
