package io.verypoll.spring.boot.frame;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The built-in encoders, the mirror images of the decoders: a line (content and LF or CRLF) and a
 * length-prefixed frame (a 1, 2, 3, 4 or 8-byte length, either byte order, then the content).
 * Immutable and stateless: one instance serves every connection.
 * <pre>{@code
 * connection.writeFrame(reply, FrameEncoders.lines());                          // reply + "\n"
 * connection.writeFrame(reply, FrameEncoders.lengthField(2, ByteOrder.BIG_ENDIAN)); // u16 length + reply
 * }</pre>
 */
public final class FrameEncoders {

    private static final FrameEncoder LF = (content, header, trailer) -> trailer.put((byte) '\n');
    private static final FrameEncoder CRLF = (content, header, trailer) -> trailer.put((byte) '\r').put((byte) '\n');

    private FrameEncoders() {
    }

    /** The content, then LF: what {@link FrameDecoders#lines} reads back. */
    public static FrameEncoder lines() {
        return LF;
    }

    /** The content, then CRLF (text protocols that require it: SMTP, RESP, HTTP headers). */
    public static FrameEncoder crlfLines() {
        return CRLF;
    }

    /**
     * A length field of {@code fieldLength} bytes (1, 2, 3, 4 or 8) holding the content's length,
     * then the content: what {@code FrameDecoders.lengthField().fieldLength(n).order(order)
     * .stripHeader(true)} reads back.
     */
    public static FrameEncoder lengthField(int fieldLength, ByteOrder order) {
        if (fieldLength < 1 || fieldLength > 4 && fieldLength != 8) {
            throw new IllegalArgumentException("fieldLength must be 1, 2, 3, 4 or 8: " + fieldLength);
        }
        if (order == null) {
            throw new IllegalArgumentException("order is null");
        }
        boolean bigEndian = order == ByteOrder.BIG_ENDIAN;
        // Up to 4 bytes the field is unsigned; a content length is an int, so 8 bytes always fit.
        long max = fieldLength >= 4 ? Integer.MAX_VALUE : (1L << (8 * fieldLength)) - 1;
        return (content, header, trailer) -> {
            int length = content.remaining();
            if (length > max) {
                throw new IllegalArgumentException("content of " + length + " bytes does not fit a "
                        + fieldLength + "-byte length field");
            }
            for (int k = 0; k < fieldLength; k++) {
                int shift = 8 * (bigEndian ? fieldLength - 1 - k : k);
                header.put((byte) (shift >= 32 ? 0 : length >>> shift));
            }
        };
    }
}
