package io.verypoll.spring.boot.context;

/**
 * A server could not start: its settings are invalid or its address could not be bound. Reported at
 * startup by {@code VerypollServerStartupFailureAnalyzer} with what to change.
 */
public class VerypollServerStartupException extends RuntimeException {

    private final String action;

    public VerypollServerStartupException(String message, String action, Throwable cause) {
        super(message, cause);
        this.action = action;
    }

    /** What the user can do about it. */
    public String action() {
        return action;
    }
}
