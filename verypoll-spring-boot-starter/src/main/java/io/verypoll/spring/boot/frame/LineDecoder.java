package io.verypoll.spring.boot.frame;

import java.nio.ByteBuffer;

/**
 * Lines ended by LF; a CR right before the LF belongs to the terminator, so LF and CRLF both
 * work. The content excludes the terminator unless {@link #keepingTerminator()} is asked for. A
 * lone CR elsewhere is content. Immutable and stateless: one instance serves every connection.
 *
 * <p>{@code maxFrameLength} bounds the content: with the terminator stripped a line of exactly
 * that many bytes passes whether it ends in LF or CRLF; kept, the terminator counts.
 */
public final class LineDecoder implements FrameDecoder {

    private static final byte LF = '\n';
    private static final byte CR = '\r';

    private final int maxFrameLength;
    private final boolean keepTerminator;

    LineDecoder(int maxFrameLength, boolean keepTerminator) {
        if (maxFrameLength < 1) {
            throw new IllegalArgumentException("maxFrameLength must be at least 1: " + maxFrameLength);
        }
        this.maxFrameLength = maxFrameLength;
        this.keepTerminator = keepTerminator;
    }

    /** The same limit, with each line's LF or CRLF left in its content. */
    public LineDecoder keepingTerminator() {
        return new LineDecoder(maxFrameLength, true);
    }

    public int maxFrameLength() {
        return maxFrameLength;
    }

    public boolean keepsTerminator() {
        return keepTerminator;
    }

    @Override
    public int decode(ByteBuffer in) {
        int start = in.position();
        int limit = in.limit();
        // The LF of a legal line lies within this many bytes (stripped: content, CR, LF), so a
        // call scans at most that far however much is buffered: O(maxFrameLength) per call.
        long window = keepTerminator ? maxFrameLength : maxFrameLength + 2L;
        int end = (int) Math.min(limit, start + window);
        for (int i = start; i < end; i++) {
            if (in.get(i) == LF) {
                return frame(in, start, i);
            }
        }
        int scanned = end - start;
        // No LF in the bytes scanned: the content holds them all (and the LF, if kept), except a
        // last CR that an LF may still turn into a terminator.
        long atLeast = keepTerminator ? scanned + 1L
                : scanned > 0 && in.get(end - 1) == CR ? scanned - 1L : scanned;
        if (atLeast > maxFrameLength) {
            throw new FrameTooLongException(atLeast, maxFrameLength);
        }
        return 0;
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
        return "LineDecoder[maxFrameLength=" + maxFrameLength + ", keepTerminator=" + keepTerminator + "]";
    }
}
