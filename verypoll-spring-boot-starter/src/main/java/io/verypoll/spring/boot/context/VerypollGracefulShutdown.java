package io.verypoll.spring.boot.context;

import org.springframework.context.SmartLifecycle;

import java.util.Objects;

/**
 * The graceful part of verypoll's shutdown, in the phase where Boot shuts its web server down
 * gracefully: when the context closes, the servers stop accepting at once and their connections
 * close while HTTP drains too, side by side, each within its own timeout. The
 * {@link VerypollLifecycle} then closes what is left, in the web server's stop phase.
 *
 * <p>Not pauseable: when a test context is paused, nothing drains; the servers simply stop and start
 * again with the context.
 *
 * <pre>{@code
 * new VerypollGracefulShutdown(lifecycle, ShutdownMode.GRACEFUL); // what the auto-configuration declares
 * }</pre>
 */
public final class VerypollGracefulShutdown implements SmartLifecycle {

    /** The phase of Boot's graceful web server shutdown. */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 1024;

    /** {@code verypoll.shutdown}: as Boot's {@code server.shutdown}. */
    public enum ShutdownMode {
        /** Stop accepting, let connections finish within {@code verypoll.shutdown-timeout}. */
        GRACEFUL,
        /** Close everything at once when the context stops. */
        IMMEDIATE
    }

    private final VerypollLifecycle lifecycle;
    private final ShutdownMode mode;
    private volatile boolean running;

    public VerypollGracefulShutdown(VerypollLifecycle lifecycle, ShutdownMode mode) {
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
        this.mode = Objects.requireNonNull(mode, "mode");
    }

    public ShutdownMode mode() {
        return mode;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    @Override
    public boolean isPauseable() {
        return false;
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        throw new UnsupportedOperationException("stop(Runnable) only");
    }

    @Override
    public void stop(Runnable callback) {
        running = false;
        if (mode == ShutdownMode.GRACEFUL) {
            lifecycle.shutDownGracefully(callback);
        } else {
            callback.run();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
