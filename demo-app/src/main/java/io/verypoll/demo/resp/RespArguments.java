package io.verypoll.demo.resp;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The arguments of one command frame, as {@link RespRequestDecoder} framed it: where each lies in
 * the frame, no copies. One per loop, reused for every command, so reading a command allocates
 * nothing; valid while the frame is (during {@code onMessage}).
 *
 * <p>The decoder has checked the frame's syntax, so this only walks it.
 */
final class RespArguments {

    private ByteBuffer frame;
    private int[] starts = new int[16];
    private int[] lengths = new int[16];
    private int count;
    /** The value {@link #skipNumber} read last. */
    private int parsed;

    /** Reads the arguments of {@code frame} (between its position and limit); returns how many. */
    int parse(ByteBuffer frame) {
        this.frame = frame;
        count = 0;
        int at = frame.position();
        int end = frame.limit();
        if (frame.get(at) == '*') {
            at = skipNumber(at + 1);
            int n = parsed;
            for (int k = 0; k < n; k++) {
                int body = skipNumber(at + 1); // past '$' and the length's CRLF
                add(body, parsed);
                at = body + parsed + 2;
            }
        } else {
            int lineEnd = end - 1; // the LF
            if (lineEnd > at && frame.get(lineEnd - 1) == '\r') {
                lineEnd--;
            }
            int wordStart = -1;
            for (int i = at; i < lineEnd; i++) {
                byte b = frame.get(i);
                boolean separator = b == ' ' || b == '\t' || b == '\r';
                if (separator && wordStart >= 0) {
                    add(wordStart, i - wordStart);
                    wordStart = -1;
                } else if (!separator && wordStart < 0) {
                    wordStart = i;
                }
            }
            if (wordStart >= 0) {
                add(wordStart, lineEnd - wordStart);
            }
        }
        return count;
    }

    /** Reads the digits at {@code at} into {@link #parsed}; returns the index after their CRLF. */
    private int skipNumber(int at) {
        int value = 0;
        byte b;
        while ((b = frame.get(at)) != '\r') {
            value = value * 10 + (b - '0');
            at++;
        }
        parsed = value;
        return at + 2;
    }

    private void add(int start, int length) {
        if (count == starts.length) {
            starts = Arrays.copyOf(starts, count * 2);
            lengths = Arrays.copyOf(lengths, count * 2);
        }
        starts[count] = start;
        lengths[count] = length;
        count++;
    }

    int count() {
        return count;
    }

    ByteBuffer frame() {
        return frame;
    }

    /** Index of argument {@code i}'s first byte in {@link #frame()}. */
    int start(int i) {
        return starts[i];
    }

    int length(int i) {
        return lengths[i];
    }

    /**
     * True when argument {@code i} is {@code upper} in any letter case. {@code upper} holds upper-case
     * ASCII letters only (command and option names), so OR-ing 0x20 gives the lower-case letter.
     */
    boolean is(int i, byte[] upper) {
        int length = lengths[i];
        if (length != upper.length) {
            return false;
        }
        int at = starts[i];
        for (int k = 0; k < length; k++) {
            int b = frame.get(at + k);
            if (b != upper[k] && b != (upper[k] | 0x20)) {
                return false;
            }
        }
        return true;
    }

    /** A copy of argument {@code i}: a value to store. */
    byte[] copy(int i) {
        byte[] bytes = new byte[lengths[i]];
        frame.get(starts[i], bytes, 0, bytes.length);
        return bytes;
    }

    /** Argument {@code i} as the key to look up: {@code probe} refilled, nothing allocated. */
    RespKey key(int i, RespKey probe) {
        return probe.fill(frame, starts[i], lengths[i]);
    }

    /** Argument {@code i} as a strict decimal long (see {@link RespNumbers}). */
    long integer(int i) {
        return RespNumbers.parse(frame, starts[i], lengths[i]);
    }
}
