package io.verypoll.spring.boot.frame;

import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * The built-in decoders, and the two ways to give each connection its decoder. In a bean:
 * <pre>{@code
 * FrameDecoders.lines(8192)                                  // LF or CRLF, stripped
 * FrameDecoders.lines(8192).keepingTerminator()
 * FrameDecoders.delimitedBy("\r\n\r\n", 65536)
 * FrameDecoders.lengthField().fieldLength(2).stripHeader(true).maxFrameLength(65535).build()
 * FrameDecoders.fixedLength(48)
 * }</pre>
 * Every limit is on a frame's content (see {@link FrameDecoder}). The built-in decoders are
 * immutable and stateless, so {@link #shared} suits them, except {@code resumable()} lines and
 * delimiters, which need {@link #perConnection}:
 * <pre>{@code
 * FrameDecoders.perConnection(() -> FrameDecoders.lines(65536).resumable())
 * }</pre>
 */
public final class FrameDecoders {

    private FrameDecoders() {
    }

    /** Lines ended by LF or CRLF, the terminator stripped; content up to {@code maxFrameLength} bytes. */
    public static LineDecoder lines(int maxFrameLength) {
        return new LineDecoder(maxFrameLength, false);
    }

    /** Frames ended by {@code delimiter}, which is stripped; content up to {@code maxFrameLength} bytes. */
    public static DelimiterDecoder delimitedBy(byte[] delimiter, int maxFrameLength) {
        return new DelimiterDecoder(delimiter, maxFrameLength, false);
    }

    /** Frames ended by the UTF-8 bytes of {@code delimiter}, which is stripped. */
    public static DelimiterDecoder delimitedBy(String delimiter, int maxFrameLength) {
        return new DelimiterDecoder(delimiter.getBytes(StandardCharsets.UTF_8), maxFrameLength, false);
    }

    /** Length-prefixed frames: see {@link LengthFieldDecoder} for the layout and options. */
    public static LengthFieldDecoder.Builder lengthField() {
        return LengthFieldDecoder.builder();
    }

    /** Frames of exactly {@code frameLength} bytes. */
    public static FixedLengthDecoder fixedLength(int frameLength) {
        return new FixedLengthDecoder(frameLength);
    }

    /** One stateless decoder for every connection. */
    public static Supplier<FrameDecoder> shared(FrameDecoder stateless) {
        if (stateless == null) {
            throw new IllegalArgumentException("decoder is null");
        }
        return () -> stateless;
    }

    /**
     * A new decoder for each connection, for decoders that keep state between calls:
     * {@code FrameDecoders.perConnection(MyDecoder::new)}.
     */
    public static Supplier<FrameDecoder> perConnection(Supplier<? extends FrameDecoder> factory) {
        if (factory == null) {
            throw new IllegalArgumentException("factory is null");
        }
        return factory::get;
    }
}
