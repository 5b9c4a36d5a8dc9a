package io.verypoll.spring.boot.frame;

/**
 * A frame's content is longer than the limit: announced by a length field, or seen (at least that
 * long) before its terminator arrived.
 */
public class FrameTooLongException extends FrameException {

    private static final long serialVersionUID = 1L;

    private final long length;
    private final int maxFrameLength;

    /**
     * @param length the content length announced, or the least it can be given the bytes seen so far
     * @param maxFrameLength the limit it exceeds
     */
    public FrameTooLongException(long length, int maxFrameLength) {
        super("frame content of " + length + " bytes exceeds maxFrameLength " + maxFrameLength);
        this.length = length;
        this.maxFrameLength = maxFrameLength;
    }

    /** The content length announced, or the least it can be given the bytes seen so far. */
    public long length() {
        return length;
    }

    public int maxFrameLength() {
        return maxFrameLength;
    }
}
