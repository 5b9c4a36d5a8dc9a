package io.verypoll;

/**
 * Associates an event with the source that produced it, as mio's {@code Token}: a value the
 * caller chooses at registration and gets back in every {@link Event} of that source.
 *
 * <p>Keep one {@code Token} instance per registration: events hand back that very instance, so
 * reading {@link Event#token()} allocates nothing.
 *
 * <pre>{@code
 * Token server = new Token(0);
 * poll.registry().register(listener, server, Interest.READABLE);
 * // ... later, in the event loop:
 * if (event.token().equals(server)) { accept(); }
 * }</pre>
 *
 * @param value any value; verypoll gives it no meaning
 */
public record Token(long value) {
    @Override
    public String toString() {
        return "Token(" + value + ")";
    }
}
