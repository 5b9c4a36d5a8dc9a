package io.verypoll.spring.boot.frame;

import java.io.ByteArrayOutputStream;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * One decoder configuration with its encoder: turns any raw bytes into a legal frame (wire bytes
 * and the content the decoder must hand on), so tests can draw random contents for every decoder
 * alike. {@link #all()} lists the configurations every decoder-independent test runs over.
 */
record FramingCase(String name, Supplier<FrameDecoder> decoders, int maxFrameLength, int framingBytes,
                   FrameMaker frameOf) {

    static final int MAX = 4096;

    /** A frame as sent and the content it decodes to. */
    record Frame(byte[] wire, byte[] content) {
    }

    /** Makes a legal frame from any raw bytes; the index lets a choice (LF or CRLF) vary along a stream. */
    interface FrameMaker {
        Frame make(int index, byte[] raw);
    }

    DecodingCaller caller(boolean direct) {
        return new DecodingCaller(decoders.get(), maxFrameLength, framingBytes, direct);
    }

    List<Frame> frames(List<byte[]> raws) {
        List<Frame> frames = new ArrayList<>();
        for (int i = 0; i < raws.size(); i++) {
            frames.add(frameOf.make(i, raws.get(i)));
        }
        return frames;
    }

    static byte[] wire(List<Frame> frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        frames.forEach(f -> out.writeBytes(f.wire()));
        return out.toByteArray();
    }

    static List<byte[]> contents(List<Frame> frames) {
        return frames.stream().map(Frame::content).toList();
    }

    @Override
    public String toString() {
        return name;
    }

    static List<FramingCase> all() {
        List<FramingCase> cases = new ArrayList<>();
        cases.add(lines(false));
        cases.add(lines(true));
        cases.add(lines(false, true));
        cases.add(lines(true, true));
        for (String delimiter : List.of("|", "\r\n\r\n", "aab", "abab", "\0")) {
            cases.add(delimited(delimiter, false));
            cases.add(delimited(delimiter, true));
        }
        cases.add(delimited("\r\n\r\n", false, true));
        cases.add(delimited("abab", true, true));
        for (int fieldLength : new int[] {1, 2, 3, 4, 8}) {
            for (ByteOrder order : List.of(ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN)) {
                // offset, adjustment, strip (-1: the header)
                cases.add(lengthField(fieldLength, order, 0, 0, 0));
                cases.add(lengthField(fieldLength, order, 0, 0, -1));
                cases.add(lengthField(fieldLength, order, 3, -(3 + fieldLength), -1)); // the field counts the whole frame
                cases.add(lengthField(fieldLength, order, 2, 2, 2 + fieldLength + 1)); // a 2-byte trailer; strip past the header
            }
        }
        cases.add(fixed(1));
        cases.add(fixed(7));
        return cases;
    }

    static FramingCase lines(boolean keep) {
        return lines(keep, false);
    }

    /** @param resumable a stateful decoder, so a new one for each caller */
    static FramingCase lines(boolean keep, boolean resumable) {
        LineDecoder shared = keep ? FrameDecoders.lines(MAX).keepingTerminator() : FrameDecoders.lines(MAX);
        Supplier<FrameDecoder> decoders = resumable ? shared::resumable : () -> shared;
        String name = "lines" + (keep ? ", terminator kept" : "") + (resumable ? ", resumable" : "");
        return new FramingCase(name, decoders, MAX, keep ? 0 : 2, (index, raw) -> {
            byte[] content = raw.clone();
            for (int i = 0; i < content.length; i++) {
                // No LF inside; no CR at the end, where it would join the terminator.
                if (content[i] == '\n' || content[i] == '\r' && i == content.length - 1) {
                    content[i] = 'x';
                }
            }
            byte[] terminator = (Arrays.hashCode(raw) + index & 1) == 1 ? new byte[] {'\n'} : new byte[] {'\r', '\n'};
            byte[] wire = concat(content, terminator);
            return new Frame(wire, keep ? wire : content);
        });
    }

    static FramingCase delimited(String text, boolean keep) {
        return delimited(text, keep, false);
    }

    /** @param resumable a stateful decoder, so a new one for each caller */
    static FramingCase delimited(String text, boolean keep, boolean resumable) {
        byte[] delimiter = text.getBytes(StandardCharsets.ISO_8859_1);
        DelimiterDecoder stripping = FrameDecoders.delimitedBy(delimiter, MAX);
        DelimiterDecoder shared = keep ? stripping.keepingDelimiter() : stripping;
        Supplier<FrameDecoder> decoders = resumable ? shared::resumable : () -> shared;
        String name = "delimiter " + text.replace("\r", "\\r").replace("\n", "\\n").replace("\0", "\\0")
                + (keep ? ", kept" : "") + (resumable ? ", resumable" : "");
        return new FramingCase(name, decoders, MAX, keep ? 0 : delimiter.length, (index, raw) -> {
            byte[] wire = concat(raw, delimiter);
            // Break every occurrence that starts before the real one; 'x' is in no delimiter, so
            // breaking one cannot make another.
            for (int i = indexOf(wire, delimiter); i < raw.length; i = indexOf(wire, delimiter)) {
                wire[i] = 'x';
            }
            byte[] content = Arrays.copyOf(wire, raw.length);
            return new Frame(wire, keep ? wire : content);
        });
    }

    /** @param strip bytes to strip, or -1 for the header */
    static FramingCase lengthField(int fieldLength, ByteOrder order, int offset, int adjustment, int strip) {
        int header = offset + fieldLength;
        int stripped = strip < 0 ? header : strip;
        LengthFieldDecoder.Builder builder = FrameDecoders.lengthField().fieldOffset(offset).fieldLength(fieldLength)
                .order(order).adjustment(adjustment).maxFrameLength(MAX);
        LengthFieldDecoder decoder = (strip < 0 ? builder.stripHeader(true) : builder.strip(strip)).build();
        String name = "length field " + fieldLength + " " + order + " offset " + offset + " adjustment " + adjustment
                + " strip " + stripped;
        return new FramingCase(name, () -> decoder, MAX, stripped, (index, raw) -> {
            // The bytes after the field: long enough for the adjustment and for what is stripped.
            byte[] after = Arrays.copyOf(raw, Math.max(raw.length, Math.max(adjustment, stripped - header)));
            byte[] wire = new byte[header + after.length];
            Arrays.fill(wire, 0, offset, (byte) 0xA5);
            writeField(wire, offset, fieldLength, order, after.length - adjustment);
            System.arraycopy(after, 0, wire, header, after.length);
            return new Frame(wire, Arrays.copyOfRange(wire, stripped, wire.length));
        });
    }

    static FramingCase fixed(int length) {
        FixedLengthDecoder decoder = FrameDecoders.fixedLength(length);
        return new FramingCase("fixed length " + length, () -> decoder, length, 0, (index, raw) -> {
            byte[] wire = Arrays.copyOf(raw, length);
            return new Frame(wire, wire);
        });
    }

    static void writeField(byte[] into, int at, int fieldLength, ByteOrder order, long value) {
        for (int k = 0; k < fieldLength; k++) {
            byte b = (byte) (value >>> (8 * k));
            into[order == ByteOrder.BIG_ENDIAN ? at + fieldLength - 1 - k : at + k] = b;
        }
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    static int indexOf(byte[] in, byte[] what) {
        outer:
        for (int i = 0; i + what.length <= in.length; i++) {
            for (int k = 0; k < what.length; k++) {
                if (in[i + k] != what[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
