package io.verypoll.demo.resp;

/**
 * A command that cannot be carried out, with the error reply that says why (without the leading
 * {@code -} and the CRLF). Thrown by the store and the number parser, caught by
 * {@link RespCommands}, which replies with it. The shared instances carry no stack trace: they
 * are answers to a client, not bugs, and cost no more than a return.
 */
final class RespError extends RuntimeException {

    private static final long serialVersionUID = 1L;

    static final RespError NOT_AN_INTEGER = new RespError("ERR value is not an integer or out of range");
    static final RespError OVERFLOW = new RespError("ERR increment or decrement would overflow");
    static final RespError SYNTAX = new RespError("ERR syntax error");

    RespError(String reply) {
        super(reply, null, false, false);
    }
}
