package io.verypoll.demo.resp;

import io.verypoll.spring.boot.frame.FrameDecoder;
import io.verypoll.spring.boot.frame.FrameException;

import java.nio.ByteBuffer;

/**
 * RESP2 requests, one whole command per frame, in either of the two forms Redis reads:
 * <ul>
 * <li>an array of bulk strings, {@code *2\r\n$3\r\nGET\r\n$1\r\nk\r\n}, as redis-cli, redis-benchmark
 *     and client libraries send;</li>
 * <li>an inline command, {@code PING\r\n} or {@code SET k v\n}, words separated by spaces or tabs,
 *     as someone typing into telnet or nc sends (no quoting).</li>
 * </ul>
 * A first byte {@code *} makes an array, anything else an inline command. The frame's content is
 * the command exactly as sent, headers and terminators included: {@link #maxFramingLength()} is 0,
 * the server's max-frame-length bounds a whole command, and {@link RespArguments} reads the
 * arguments out of the frame in place.
 *
 * <p>Strict, and as early as the bytes allow: a count or length that is not plain decimal digits
 * (no sign, no leading zero), an element that is not a bulk string, or a bulk string not followed by
 * CRLF is a {@link FrameException}; a count, length or line over the {@link RespLimits} is a
 * {@link RespLimitException} as soon as its digits pass the limit, before the body arrives. A
 * command whose announced lengths add up past {@code maxCommandLength} fails the same way.
 * {@code *0\r\n} is an empty command (Redis ignores it), as is an empty inline line.
 *
 * <p>Stateful: one per connection ({@code decoder(() -> new RespRequestDecoder(limits))}). While a
 * command is incomplete it remembers how far it got (the bulk strings already complete, or how far
 * an inline line was scanned), so a command arriving in many reads is parsed once, not once per read.
 *
 * <p>Once a bulk string's length is read, the command's length is known (or, with arguments still
 * to come, a lower bound): {@link #expectedLength} tells the connection, which then makes one array
 * for the whole command and copies each read into it, instead of growing its buffer as the value
 * arrives, as Redis allocates a big argument from its {@code $<length>} header.
 */
public final class RespRequestDecoder implements FrameDecoder {

    /** The shortest bulk string, {@code $0\r\n\r\n}: each argument still to come adds at least this. */
    static final int MIN_ARGUMENT = 6;

    private final RespLimits limits;

    // An incomplete array (offsets from the frame's start): where the next bulk string starts, and
    // how many are still to come. next == 0: the array's header is not parsed yet.
    private int next;
    private int argumentsLeft;

    // An incomplete inline line: bytes scanned without an LF, words counted, the last byte inside a word.
    private int scanned;
    private int words;
    private boolean inWord;

    /** Bytes offered to the last call that found the command incomplete. */
    private int seen;

    /** An incomplete array whose current bulk string's length is read: the command takes at least this. */
    private long expected;

    /** The value of the number {@link #number} parsed last. */
    private int number;

    public RespRequestDecoder(RespLimits limits) {
        this.limits = limits;
    }

    /** Everything is content: a command is handed on as sent. */
    @Override
    public int maxFramingLength() {
        return 0;
    }

    /**
     * The incomplete command's length as far as its headers tell: up to the end of the bulk string
     * being read, and the shortest possible argument for each still to come; 0 before a length is read.
     */
    @Override
    public long expectedLength(ByteBuffer in) {
        return expected;
    }

    @Override
    public int decode(ByteBuffer in) {
        expected = 0;
        int start = in.position();
        int available = in.limit() - start;
        if (available == 0) {
            return 0;
        }
        if (available < seen) {
            forget(); // fewer bytes than last time: a new stream, not the same command grown
        }
        int consumed;
        try {
            consumed = in.get(start) == '*' ? array(in, start, available) : inline(in, start, available);
        } catch (FrameException e) {
            forget();
            throw e;
        }
        if (consumed > 0) {
            forget();
            in.limit(start + consumed);
        } else {
            seen = available;
        }
        return consumed;
    }

    private void forget() {
        seen = 0;
        next = 0;
        argumentsLeft = 0;
        scanned = 0;
        words = 0;
        inWord = false;
    }

    private int array(ByteBuffer in, int start, int available) {
        int at = next;
        int left = argumentsLeft;
        if (at == 0) {
            int end = number(in, start, 1, available, limits.maxArguments(), true);
            if (end == 0) {
                return 0;
            }
            left = number;
            checkCommand(end + (long) left * MIN_ARGUMENT);
            at = end;
        }
        while (left > 0 && at < available) {
            byte type = in.get(start + at);
            if (type != '$') {
                throw new FrameException("expected '$' at the start of argument, got " + printable(type));
            }
            int end = number(in, start, at + 1, available, limits.maxBulkLength(), false);
            if (end == 0) {
                break;
            }
            long after = (long) end + number + 2;
            checkCommand(after + (long) (left - 1) * MIN_ARGUMENT);
            if (after > available) {
                expected = after + (long) (left - 1) * MIN_ARGUMENT; // within maxCommandLength: checked above
                break; // the header is parsed again next time: a few bytes, no need to keep it
            }
            int crlf = start + end + number;
            if (in.get(crlf) != '\r' || in.get(crlf + 1) != '\n') {
                throw new FrameException("bulk string of " + number + " bytes not followed by CRLF");
            }
            at = (int) after;
            left--;
        }
        if (left > 0) {
            next = at;
            argumentsLeft = left;
            return 0;
        }
        return at;
    }

    /**
     * Parses the decimal digits from offset {@code from} up to their CRLF into {@link #number};
     * returns the offset just past the LF, or 0 while the line is incomplete. Fails as soon as the
     * digits pass {@code max}, so a header's length is bounded by the limit's digits.
     */
    private int number(ByteBuffer in, int start, int from, int available, int max, boolean count) {
        long value = 0;
        int i = from;
        for (; i < available; i++) {
            byte b = in.get(start + i);
            if (b == '\r') {
                break;
            }
            if (b < '0' || b > '9') {
                throw new FrameException("expected a digit in a " + (count ? "count" : "length") + ", got "
                        + printable(b));
            }
            if (i > from && value == 0) {
                throw new FrameException("a " + (count ? "count" : "length") + " with a leading zero");
            }
            value = value * 10 + (b - '0');
            if (value > max) {
                throw count ? RespLimitException.arguments(value, max) : RespLimitException.bulk(value, max);
            }
        }
        if (i == available) {
            return 0;
        }
        if (i == from) {
            throw new FrameException("a " + (count ? "count" : "length") + " without digits");
        }
        if (i + 1 == available) {
            return 0;
        }
        if (in.get(start + i + 1) != '\n') {
            throw new FrameException("CR not followed by LF");
        }
        number = (int) value;
        return i + 2;
    }

    private int inline(ByteBuffer in, int start, int available) {
        int maxLine = limits.maxInlineLength();
        // The LF of a legal line lies within the line, a CR and itself.
        int end = (int) Math.min(available, maxLine + 2L);
        int counted = words;
        boolean inside = inWord;
        for (int i = scanned; i < end; i++) {
            byte b = in.get(start + i);
            if (b == '\n') {
                int content = i > 0 && in.get(start + i - 1) == '\r' ? i - 1 : i;
                if (content > maxLine) {
                    throw RespLimitException.inline(content, maxLine);
                }
                checkCommand(i + 1L);
                return i + 1;
            }
            boolean separator = b == ' ' || b == '\t' || b == '\r';
            if (!separator && !inside && ++counted > limits.maxArguments()) {
                throw RespLimitException.arguments(counted, limits.maxArguments());
            }
            inside = !separator;
        }
        // No LF yet: the line holds at least what was seen, but a last CR may still be the terminator's.
        long atLeast = end > 0 && in.get(start + end - 1) == '\r' ? end - 1L : end;
        if (atLeast > maxLine) {
            throw RespLimitException.inline(atLeast, maxLine);
        }
        checkCommand(end + 1L);
        scanned = end;
        words = counted;
        inWord = inside;
        return 0;
    }

    private void checkCommand(long atLeast) {
        if (atLeast > limits.maxCommandLength()) {
            throw RespLimitException.command(atLeast, limits.maxCommandLength());
        }
    }

    private static String printable(byte b) {
        return b >= 0x20 && b < 0x7F ? "'" + (char) b + "'" : String.format("0x%02x", b & 0xFF);
    }

    /** Where the next call goes on from, as an offset from the command's start (0: its start); for tests. */
    int resumeOffset() {
        return next > 0 ? next : scanned;
    }

    public RespLimits limits() {
        return limits;
    }

    @Override
    public String toString() {
        return "RespRequestDecoder" + limits;
    }
}
