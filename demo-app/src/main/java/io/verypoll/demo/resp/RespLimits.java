package io.verypoll.demo.resp;

/**
 * What one RESP request may hold. Each is checked by {@link RespRequestDecoder} as soon as the
 * bytes seen allow, before the rest of the command arrives.
 *
 * @param maxArguments arguments of one command, the name included (array elements or inline words)
 * @param maxBulkLength bytes of one bulk string (an argument of an array command)
 * @param maxInlineLength bytes of an inline command's line, its CRLF or LF not counted
 * @param maxCommandLength bytes of one whole command as sent, headers and terminators included:
 *        keep it equal to the server's max-frame-length, which bounds the same bytes
 */
public record RespLimits(int maxArguments, int maxBulkLength, int maxInlineLength, int maxCommandLength) {

    /** The demo's defaults: 1024 arguments, values and commands up to 8 MiB, inline lines up to 64 KiB. */
    public static final RespLimits DEFAULTS = new RespLimits(1024, 8 << 20, 64 * 1024, 8 << 20);

    public RespLimits {
        if (maxArguments < 1 || maxBulkLength < 0 || maxInlineLength < 1 || maxCommandLength < 1) {
            throw new IllegalArgumentException("RESP limits must be positive: " + maxArguments + ", " + maxBulkLength
                    + ", " + maxInlineLength + ", " + maxCommandLength);
        }
    }
}
