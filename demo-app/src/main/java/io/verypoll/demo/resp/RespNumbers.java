package io.verypoll.demo.resp;

import java.nio.ByteBuffer;

/**
 * Decimal longs in and out of bytes, without going through String. Reading is as strict as Redis:
 * an optional minus, then digits with no leading zero ({@code 0} itself is fine, {@code -0} is
 * not), nothing else, within the range of a long.
 */
final class RespNumbers {

    private RespNumbers() {
    }

    /** The long in {@code src[at, at + length)}; {@link RespError#NOT_AN_INTEGER} when it is not one. */
    static long parse(ByteBuffer src, int at, int length) {
        if (length < 1 || length > 20) {
            throw RespError.NOT_AN_INTEGER;
        }
        boolean negative = src.get(at) == '-';
        int i = negative ? 1 : 0;
        if (i == length || src.get(at + i) == '0' && (length > 1 || negative)) {
            throw RespError.NOT_AN_INTEGER;
        }
        // Accumulated as a negative number: the range of a long reaches one further that way.
        long value = 0;
        for (; i < length; i++) {
            int digit = src.get(at + i) - '0';
            if (digit < 0 || digit > 9 || value < (Long.MIN_VALUE + digit) / 10) {
                throw RespError.NOT_AN_INTEGER;
            }
            value = value * 10 - digit;
        }
        if (!negative) {
            if (value == Long.MIN_VALUE) {
                throw RespError.NOT_AN_INTEGER;
            }
            value = -value;
        }
        return value;
    }

    /** The long in {@code bytes}. */
    static long parse(byte[] bytes) {
        return parse(ByteBuffer.wrap(bytes), 0, bytes.length);
    }

    /** Digits of {@code value}, a minus first if negative. */
    static int length(long value) {
        int n = value < 0 ? 2 : 1;
        // Counted on the negative side, which holds Long.MIN_VALUE too.
        for (long v = value < 0 ? value : -value; v <= -10; v /= 10) {
            n++;
        }
        return n;
    }

    /** Puts {@code value}'s digits into {@code out} at its position, and moves past them. */
    static void put(ByteBuffer out, long value) {
        int n = length(value);
        int end = out.position() + n;
        long v = value < 0 ? value : -value;
        for (int i = end - 1; i >= end - n + (value < 0 ? 1 : 0); i--) {
            out.put(i, (byte) ('0' - v % 10));
            v /= 10;
        }
        if (value < 0) {
            out.put(end - n, (byte) '-');
        }
        out.position(end);
    }

    /** {@code value}'s digits as a new array: a value to store. */
    static byte[] bytes(long value) {
        byte[] bytes = new byte[length(value)];
        put(ByteBuffer.wrap(bytes), value);
        return bytes;
    }

    /**
     * The non-negative decimal number of seconds in {@code src[at, at + length)} ({@code 2},
     * {@code 0.25}, {@code .5}), in nanoseconds; digits past the ninth decimal are ignored. -1 when
     * it is not such a number, or is above {@code maxSeconds}.
     */
    static long secondsAsNanos(ByteBuffer src, int at, int length, long maxSeconds) {
        long whole = 0;
        long fraction = 0;
        int fractionDigits = -1; // -1: no point seen
        boolean digits = false;
        for (int i = at; i < at + length; i++) {
            byte b = src.get(i);
            if (b == '.' && fractionDigits < 0) {
                fractionDigits = 0;
            } else if (b >= '0' && b <= '9') {
                digits = true;
                if (fractionDigits < 0) {
                    whole = whole * 10 + (b - '0');
                    if (whole > maxSeconds) {
                        return -1;
                    }
                } else if (fractionDigits < 9) {
                    fraction = fraction * 10 + (b - '0');
                    fractionDigits++;
                }
            } else {
                return -1;
            }
        }
        if (!digits) {
            return -1;
        }
        for (int k = Math.max(fractionDigits, 0); k < 9; k++) {
            fraction *= 10;
        }
        long nanos = whole * 1_000_000_000L + fraction;
        if (nanos > maxSeconds * 1_000_000_000L) {
            return -1;
        }
        return nanos;
    }
}
