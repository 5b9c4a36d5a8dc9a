package io.verypoll.spring.boot.server;

/**
 * A server builder was asked to build without something every server needs (a handler). Thrown from
 * the {@code @Bean} method; Boot reports it as "APPLICATION FAILED TO START" with the action.
 */
public class IncompleteServerException extends IllegalStateException {

    private final String action;

    public IncompleteServerException(String message, String action) {
        super(message);
        this.action = action;
    }

    /** What to add to the builder. */
    public String action() {
        return action;
    }
}
