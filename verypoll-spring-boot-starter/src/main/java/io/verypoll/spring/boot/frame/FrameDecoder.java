package io.verypoll.spring.boot.frame;

import java.nio.ByteBuffer;

/**
 * Splits a byte stream into frames, one call per frame, without copying: a complete frame is
 * handed on as a view of the caller's buffer.
 *
 * <h2>How a caller drives it</h2>
 * The caller keeps the bytes received but not yet framed in a buffer and, after each read:
 * <ol>
 * <li>notes the buffer's position {@code p} and limit {@code l} and calls {@link #decode};</li>
 * <li>on {@code n > 0} hands on the frame ({@code in} between its new position and limit), then
 *     sets the limit back to {@code l} and the position to {@code p + n}, and calls again;</li>
 * <li>on {@code 0} sets position {@code p} and limit {@code l} back, keeps the bytes from
 *     {@code p} on, and calls again from the same start once more bytes are appended.</li>
 * </ol>
 * A decoder therefore sees the start of a frame at the position on every call, and the same
 * (grown) incomplete frame as many times as it takes to arrive.
 *
 * <h2>Frame length</h2>
 * {@code maxFrameLength} bounds a frame's <em>content</em>, the bytes handed on: terminators and
 * headers count only when a decoder keeps them. The built-in decoders fail as early as the bytes
 * seen allow: a length field as soon as it is read, a line or delimited frame as soon as its
 * content must be longer, whether or not its terminator arrived. A caller also checks, as a net for
 * decoders that do not: it fails a complete frame whose content is longer than the limit, and gives
 * up on an incomplete one once more bytes wait than the limit plus the framing it expects around
 * the content (headers, terminators: {@link #maxFramingLength()}).
 *
 * <h2>State</h2>
 * The built-in decoders are immutable and stateless, one instance for every connection, except the
 * {@code resumable()} variants of lines and delimiters, which remember how far they scanned.
 * A decoder that keeps state between calls (a scan offset, a parsed header) must be made per
 * connection, e.g. from a {@code Supplier<FrameDecoder>} such as {@code MyDecoder::new}; see
 * {@link FrameDecoders#perConnection}.
 *
 * <h2>A custom decoder</h2>
 * A frame of a 2-byte big-endian length and that many bytes, the length stripped:
 * <pre>{@code
 * FrameDecoder shortPrefixed = in -> {
 *     int start = in.position();
 *     if (in.remaining() < 2) return 0;
 *     int length = (in.get(start) & 0xFF) << 8 | in.get(start + 1) & 0xFF;
 *     if (length > 4096) throw new FrameTooLongException(length, 4096);
 *     if (in.remaining() < 2 + length) return 0;
 *     in.limit(start + 2 + length).position(start + 2);
 *     return 2 + length;
 * };
 * }</pre>
 * Absolute gets keep it correct for heap and direct buffers alike, at any position.
 */
@FunctionalInterface
public interface FrameDecoder {

    /**
     * Looks for one complete frame at the start of {@code in}, between its position and its limit.
     * Complete: sets {@code in}'s position and limit to the frame's content (inside the bytes given:
     * a view, no copy) and returns how many bytes the frame takes in the stream from the position at
     * the call, headers and delimiters included (> 0). Incomplete: returns 0; position and limit
     * are restored by the caller anyway, so the decoder may move them.
     *
     * @throws FrameException when the input cannot be a valid frame (e.g. a length field announcing
     *         more than maxFrameLength, a negative length, a malformed RESP type byte)
     */
    int decode(ByteBuffer in);

    /**
     * The most bytes a frame takes in the stream besides the content handed on (headers and
     * terminators that are stripped): a caller gives up on an incomplete frame once more than
     * {@code maxFrameLength} plus this many bytes wait. The built-in decoders answer exactly; the
     * default, {@value #DEFAULT_MAX_FRAMING_LENGTH}, is generous so that a custom decoder that does
     * not say is never cut short (it only lets a too long frame grow a little further before the
     * caller notices).
     */
    default int maxFramingLength() {
        return DEFAULT_MAX_FRAMING_LENGTH;
    }

    /**
     * Called right after {@link #decode} found the frame at {@code in}'s position incomplete, with
     * the same bytes: how many bytes, at least, that frame takes in the stream from the position
     * (headers and terminators included), as far as the bytes seen tell; 0, the default, when they
     * do not tell yet. A caller then makes room for the whole frame at once instead of growing its
     * buffer as the bytes arrive, and takes from later reads exactly what the frame lacks, so that a
     * large frame is copied once and fills its own array. An answer over {@code maxFrameLength}
     * plus {@link #maxFramingLength()} fails the frame as too long before anything is reserved.
     * Position and limit may be moved, as in {@link #decode}.
     *
     * <p>The 2-byte length prefix of the example above: {@code in.remaining() < 2 ? 0 : 2 + length}.
     */
    default long expectedLength(ByteBuffer in) {
        return 0;
    }

    /** What {@link #maxFramingLength()} answers unless a decoder knows better. */
    int DEFAULT_MAX_FRAMING_LENGTH = 64;
}
