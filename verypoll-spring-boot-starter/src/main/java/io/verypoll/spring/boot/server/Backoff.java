package io.verypoll.spring.boot.server;

import java.time.Duration;
import java.util.Objects;
import java.util.function.DoubleSupplier;

/**
 * A client link's reconnect policy: exponential backoff with jitter and a cap. The {@code n}th
 * reconnect in a row (from 0) waits {@code min(max, initial * 2^n)}, less a random part of up to
 * {@code jitter} of it, so that clients that lost the same server do not come back in step. A
 * connection that stayed open {@code resetAfter} or longer starts the count again.
 *
 * <pre>{@code
 * Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(30), 0.2, Duration.ofSeconds(10));
 * long first = backoff.delayNanos(0, Math::random);   // between 80 and 100 ms
 * }</pre>
 *
 * @param initial    the first delay
 * @param max        the longest delay
 * @param jitter     0 to 1: the fraction of a delay that may be taken off at random
 * @param resetAfter how long a connection must stay open to count as stable
 */
public record Backoff(Duration initial, Duration max, double jitter, Duration resetAfter) {

    /** No reconnecting. */
    public static final Backoff NONE = new Backoff(Duration.ofNanos(1), Duration.ofNanos(1), 0, Duration.ZERO);

    public Backoff {
        Objects.requireNonNull(initial, "initial");
        Objects.requireNonNull(max, "max");
        Objects.requireNonNull(resetAfter, "resetAfter");
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("need 0 < initial <= max, was " + initial + " and " + max);
        }
        if (!(jitter >= 0 && jitter <= 1)) {
            throw new IllegalArgumentException("jitter must be between 0 and 1, was " + jitter);
        }
    }

    /** True unless this is {@link #NONE}. */
    public boolean reconnects() {
        return this != NONE;
    }

    /** The capped delay before reconnect number {@code attempt} (from 0), before jitter. */
    public long baseDelayNanos(int attempt) {
        long initialNanos = initial.toNanos();
        long maxNanos = max.toNanos();
        // Doubling past 62 shifts overflows; the cap is reached long before.
        int shift = Math.min(attempt, 62);
        long delay = initialNanos << shift;
        return (delay >>> shift) != initialNanos || delay > maxNanos || delay <= 0 ? maxNanos : delay;
    }

    /**
     * The delay before reconnect number {@code attempt}, with {@code random} (uniform in [0, 1)) taking
     * off up to {@code jitter} of it.
     */
    public long delayNanos(int attempt, DoubleSupplier random) {
        long base = baseDelayNanos(attempt);
        return base - (long) (base * jitter * random.getAsDouble());
    }
}
