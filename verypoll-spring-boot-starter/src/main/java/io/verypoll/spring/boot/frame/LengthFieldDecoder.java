package io.verypoll.spring.boot.frame;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Frames announced by a length field. A frame is laid out as
 * <pre>
 *   [fieldOffset bytes][length field: 1, 2, 3, 4 or 8 bytes][field value + adjustment bytes]
 * </pre>
 * so the header runs to the end of the length field and the {@code adjustment} corrects a value
 * that counts something else than the bytes after the field: {@code -(fieldOffset + fieldLength)}
 * when it counts the whole frame, {@code +2} when it leaves out a 2-byte trailer. The content is
 * the frame less its first {@code strip} bytes: none (header kept), the header
 * ({@link Builder#stripHeader(boolean)}), or any count ({@link Builder#strip(int)}).
 *
 * <p>Fields of 1 to 4 bytes are unsigned; an 8-byte field is signed. {@code maxFrameLength} bounds
 * the content, checked as soon as the header is in, before the body arrives: a longer content
 * fails with {@link FrameTooLongException}; a negative 8-byte value, a negative length after the
 * adjustment, or a frame shorter than the bytes to strip, with {@link FrameException}.
 * Immutable and stateless: one instance serves every connection.
 *
 * <pre>{@code
 * LengthFieldDecoder.builder().fieldOffset(0).fieldLength(4).order(ByteOrder.BIG_ENDIAN)
 *         .adjustment(0).stripHeader(true).maxFrameLength(1 << 20).build();
 * }</pre>
 */
public final class LengthFieldDecoder implements FrameDecoder {

    private final int fieldOffset;
    private final int fieldLength;
    private final boolean bigEndian;
    private final int adjustment;
    private final int strip;
    private final int maxFrameLength;
    private final int headerLength;

    private LengthFieldDecoder(Builder b) {
        this.fieldOffset = b.fieldOffset;
        this.fieldLength = b.fieldLength;
        this.bigEndian = b.order == ByteOrder.BIG_ENDIAN;
        this.adjustment = b.adjustment;
        this.headerLength = b.fieldOffset + b.fieldLength;
        this.strip = b.stripHeader ? headerLength : b.strip;
        this.maxFrameLength = b.maxFrameLength;
    }

    /** Defaults: a 4-byte big-endian field at offset 0, no adjustment, header kept; the limit has no default. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public int decode(ByteBuffer in) {
        int start = in.position();
        int waiting = in.limit() - start;
        if (waiting < headerLength) {
            return 0;
        }
        long content = contentLength(readField(in, start + fieldOffset));
        // content <= maxFrameLength and strip are ints, so the sum fits a long; it may not fit an int.
        long consumed = content + strip;
        if (consumed > Integer.MAX_VALUE) {
            throw new FrameTooLongException(content, maxFrameLength);
        }
        if (consumed > waiting) {
            return 0;
        }
        in.limit(start + (int) consumed);
        in.position(start + strip);
        return (int) consumed;
    }

    /** The whole frame, once the header is in: the field announces it. */
    @Override
    public long expectedLength(ByteBuffer in) {
        int start = in.position();
        if (in.limit() - start < headerLength) {
            return 0;
        }
        return contentLength(readField(in, start + fieldOffset)) + strip;
    }

    private long readField(ByteBuffer in, int at) {
        long value = 0;
        if (bigEndian) {
            for (int k = 0; k < fieldLength; k++) {
                value = value << 8 | (in.get(at + k) & 0xFF);
            }
        } else {
            for (int k = fieldLength - 1; k >= 0; k--) {
                value = value << 8 | (in.get(at + k) & 0xFF);
            }
        }
        return value; // 1..4 bytes come out unsigned; 8 bytes fill the long, sign included
    }

    private long contentLength(long value) {
        if (value < 0) {
            throw new FrameException("negative length field: " + value);
        }
        long afterField = value + adjustment; // no overflow: value >= 0 and adjustment is an int
        if (afterField < 0) {
            throw new FrameException("negative frame length: field " + value + " + adjustment " + adjustment);
        }
        long rest = (long) headerLength - strip;
        long content = afterField > Long.MAX_VALUE - Math.max(rest, 0) ? Long.MAX_VALUE : afterField + rest;
        if (content < 0) {
            throw new FrameException("frame of " + (afterField + headerLength) + " bytes is shorter than the "
                    + strip + " bytes to strip");
        }
        if (content > maxFrameLength) {
            throw new FrameTooLongException(content, maxFrameLength);
        }
        return content;
    }

    public int maxFrameLength() {
        return maxFrameLength;
    }

    /** The stripped bytes: everything else is content. */
    @Override
    public int maxFramingLength() {
        return strip;
    }

    @Override
    public String toString() {
        return "LengthFieldDecoder[fieldOffset=" + fieldOffset + ", fieldLength=" + fieldLength + ", order="
                + (bigEndian ? "BIG_ENDIAN" : "LITTLE_ENDIAN") + ", adjustment=" + adjustment + ", strip=" + strip
                + ", maxFrameLength=" + maxFrameLength + "]";
    }

    /** Settings for a {@link LengthFieldDecoder}; {@link #maxFrameLength(int)} is required. */
    public static final class Builder {

        private int fieldOffset;
        private int fieldLength = 4;
        private ByteOrder order = ByteOrder.BIG_ENDIAN;
        private int adjustment;
        private boolean stripHeader;
        private int strip;
        private int maxFrameLength = -1;

        private Builder() {
        }

        /** Bytes before the length field, from the frame's start. */
        public Builder fieldOffset(int fieldOffset) {
            if (fieldOffset < 0 || fieldOffset > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("fieldOffset out of range: " + fieldOffset);
            }
            this.fieldOffset = fieldOffset;
            return this;
        }

        /** 1, 2, 3, 4 (unsigned) or 8 (signed) bytes. */
        public Builder fieldLength(int fieldLength) {
            if (fieldLength < 1 || fieldLength > 4 && fieldLength != 8) {
                throw new IllegalArgumentException("fieldLength must be 1, 2, 3, 4 or 8: " + fieldLength);
            }
            this.fieldLength = fieldLength;
            return this;
        }

        public Builder order(ByteOrder order) {
            if (order == null) {
                throw new IllegalArgumentException("order is null");
            }
            this.order = order;
            return this;
        }

        /** Added to the field's value to get the number of bytes after the field. */
        public Builder adjustment(int adjustment) {
            this.adjustment = adjustment;
            return this;
        }

        /** Strip the header (everything up to the end of the length field) from the content, or keep it all. */
        public Builder stripHeader(boolean stripHeader) {
            this.stripHeader = stripHeader;
            this.strip = 0;
            return this;
        }

        /** Strip exactly this many bytes from the start of each frame (they may reach past the header). */
        public Builder strip(int bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("strip must not be negative: " + bytes);
            }
            this.stripHeader = false;
            this.strip = bytes;
            return this;
        }

        /** The longest content allowed (after stripping); required, at least 1. */
        public Builder maxFrameLength(int maxFrameLength) {
            if (maxFrameLength < 1) {
                throw new IllegalArgumentException("maxFrameLength must be at least 1: " + maxFrameLength);
            }
            this.maxFrameLength = maxFrameLength;
            return this;
        }

        public LengthFieldDecoder build() {
            if (maxFrameLength < 0) {
                throw new IllegalStateException("maxFrameLength is required");
            }
            return new LengthFieldDecoder(this);
        }
    }
}
