package io.verypoll.spring.boot.frame;

import java.nio.ByteBuffer;

/**
 * Frames of exactly {@code frameLength} bytes, all content. The length is also the limit, so there
 * is no separate {@code maxFrameLength}. Immutable and stateless: one instance serves every connection.
 */
public final class FixedLengthDecoder implements FrameDecoder {

    private final int frameLength;

    FixedLengthDecoder(int frameLength) {
        if (frameLength < 1) {
            throw new IllegalArgumentException("frameLength must be at least 1: " + frameLength);
        }
        this.frameLength = frameLength;
    }

    public int frameLength() {
        return frameLength;
    }

    /** A frame is all content. */
    @Override
    public int maxFramingLength() {
        return 0;
    }

    @Override
    public int decode(ByteBuffer in) {
        int start = in.position();
        if (in.limit() - start < frameLength) {
            return 0;
        }
        in.limit(start + frameLength);
        return frameLength;
    }

    /** Always known. */
    @Override
    public long expectedLength(ByteBuffer in) {
        return frameLength;
    }

    @Override
    public String toString() {
        return "FixedLengthDecoder[frameLength=" + frameLength + "]";
    }
}
