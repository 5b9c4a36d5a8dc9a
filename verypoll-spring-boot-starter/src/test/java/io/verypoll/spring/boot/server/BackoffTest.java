package io.verypoll.spring.boot.server;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackoffTest {

    private static final long MS = 1_000_000;

    private final Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), 0.5, Duration.ofSeconds(10));

    @Test
    void doublesFromTheInitialDelayUpToTheCap() {
        assertThat(backoff.baseDelayNanos(0)).isEqualTo(100 * MS);
        assertThat(backoff.baseDelayNanos(1)).isEqualTo(200 * MS);
        assertThat(backoff.baseDelayNanos(2)).isEqualTo(400 * MS);
        assertThat(backoff.baseDelayNanos(3)).isEqualTo(800 * MS);
        assertThat(backoff.baseDelayNanos(4)).isEqualTo(1000 * MS);
        assertThat(backoff.baseDelayNanos(63)).isEqualTo(1000 * MS);
        assertThat(backoff.baseDelayNanos(Integer.MAX_VALUE)).as("no overflow").isEqualTo(1000 * MS);
    }

    @Test
    void jitterTakesOffAtMostItsFraction() {
        assertThat(backoff.delayNanos(1, () -> 0.0)).isEqualTo(200 * MS);
        assertThat(backoff.delayNanos(1, () -> 0.5)).isEqualTo(150 * MS);
        assertThat(backoff.delayNanos(1, () -> 0.999_999)).isGreaterThan(100 * MS).isLessThanOrEqualTo(101 * MS);
        Backoff none = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), 0, Duration.ZERO);
        assertThat(none.delayNanos(2, () -> 0.9)).isEqualTo(400 * MS);
    }

    @Test
    void rejectsNonsense() {
        assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1), 0, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), 0, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(1), 1.5, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(Backoff.NONE.reconnects()).isFalse();
        assertThat(backoff.reconnects()).isTrue();
    }
}
