package io.verypoll.demo.resp;

import io.verypoll.spring.boot.frame.FrameTooLongException;

/**
 * A RESP request over one of its {@link RespLimits}. A {@link FrameTooLongException}, so the server
 * closes the connection with {@code frame-too-long} after the handler's {@code onFrameTooLong}
 * has told the client which limit it hit (the message names it, not only a length).
 */
public final class RespLimitException extends FrameTooLongException {

    private static final long serialVersionUID = 1L;

    private final String message;

    private RespLimitException(String what, long value, int limit) {
        super(value, limit);
        this.message = what + " (" + value + ", at most " + limit + ")";
    }

    static RespLimitException arguments(long count, int limit) {
        return new RespLimitException("too many arguments", count, limit);
    }

    static RespLimitException bulk(long length, int limit) {
        return new RespLimitException("bulk string too long", length, limit);
    }

    static RespLimitException inline(long length, int limit) {
        return new RespLimitException("inline command too long", length, limit);
    }

    /** {@code atLeast}: the least the command can take given the lengths announced so far. */
    static RespLimitException command(long atLeast, int limit) {
        return new RespLimitException("command too long", atLeast, limit);
    }

    @Override
    public String getMessage() {
        return message;
    }
}
