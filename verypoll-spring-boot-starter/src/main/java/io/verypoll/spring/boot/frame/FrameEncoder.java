package io.verypoll.spring.boot.frame;

import java.nio.ByteBuffer;

/**
 * Frames outbound content: writes the bytes that go before it (a length field) and after it (a
 * line's terminator), so that a connection can send header, content and trailer with one
 * gathering write and never copy the content into a bigger buffer. The built-in ones come from
 * {@link FrameEncoders}; a custom one:
 * <pre>{@code
 * FrameEncoder tagged = (content, header, trailer) -> header.put((byte) 'T').putShort((short) content.remaining());
 * }</pre>
 */
@FunctionalInterface
public interface FrameEncoder {

    /** Room the caller gives the header and the trailer, each. */
    int MAX_FRAMING_LENGTH = 16;

    /**
     * Puts into {@code header} the bytes that go before {@code content} and into {@code trailer}
     * those after it, each from its position and at most {@value #MAX_FRAMING_LENGTH} bytes.
     * {@code content}'s remaining bytes are the frame's content; leave its position and limit as
     * they are.
     *
     * @throws IllegalArgumentException when the content cannot be framed (too long for a length field)
     */
    void encode(ByteBuffer content, ByteBuffer header, ByteBuffer trailer);
}
