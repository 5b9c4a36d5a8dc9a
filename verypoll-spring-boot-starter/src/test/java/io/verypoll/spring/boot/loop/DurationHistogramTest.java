package io.verypoll.spring.boot.loop;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** Buckets by powers of 4, a total, and a maximum that decays without any reader resetting it. */
class DurationHistogramTest {

    private static final long WINDOW = 1L << 36;

    private final DurationHistogram histogram = new DurationHistogram();

    @Test
    void bucketsEndAtPowersOfFourFromAboutAMicrosecond() {
        assertThat(DurationHistogram.upperBoundNanos(0)).isEqualTo(1024);
        assertThat(DurationHistogram.upperBoundNanos(1)).isEqualTo(4096);
        assertThat(DurationHistogram.upperBoundNanos(13)).isEqualTo(WINDOW);
        assertThat(DurationHistogram.upperBoundNanos(14)).isEqualTo(Long.MAX_VALUE);
        for (int i = 0; i < DurationHistogram.BUCKETS - 1; i++) {
            long bound = DurationHistogram.upperBoundNanos(i);
            assertThat(DurationHistogram.bucket(bound)).as("at the bound of %d", i).isEqualTo(i);
            assertThat(DurationHistogram.bucket(bound + 1)).as("just past the bound of %d", i).isEqualTo(i + 1);
        }
        assertThat(DurationHistogram.bucket(0)).isZero();
        assertThat(DurationHistogram.bucket(-5)).as("a clock step backwards").isZero();
        assertThat(DurationHistogram.bucket(Long.MAX_VALUE)).isEqualTo(DurationHistogram.BUCKETS - 1);
    }

    @Test
    void countsAreCumulativeAndAgreeWithTheCountAndTotal() {
        long now = System.nanoTime();
        histogram.record(500, now);
        histogram.record(3_000, now);
        histogram.record(Duration.ofMillis(3).toNanos(), now);
        histogram.record(Duration.ofMinutes(5).toNanos(), now);
        assertThat(histogram.count()).isEqualTo(4);
        assertThat(histogram.totalNanos()).isEqualTo(500 + 3_000 + 3_000_000 + 300_000_000_000L);
        assertThat(histogram.cumulativeCount(0)).isEqualTo(1);
        assertThat(histogram.cumulativeCount(1)).isEqualTo(2);
        assertThat(histogram.bucketCount(6)).as("(1.05 ms, 4.19 ms]").isEqualTo(1);
        assertThat(histogram.cumulativeCount(13)).isEqualTo(3);
        assertThat(histogram.bucketCount(14)).as("past 69 s").isEqualTo(1);
    }

    @Test
    void maxCoversTheCurrentAndThePreviousWindowAndReadingResetsNothing() {
        long now = System.nanoTime();
        histogram.record(7_000_000, now - WINDOW);
        histogram.record(2_000, now);
        assertThat(histogram.recentMaxNanos()).isEqualTo(7_000_000);
        assertThat(histogram.recentMaxNanos()).as("a second reader").isEqualTo(7_000_000);
        histogram.record(9_000, now);
        assertThat(histogram.recentMaxNanos()).isEqualTo(7_000_000);
    }

    @Test
    void maxForgetsWindowsOlderThanThePreviousOne() {
        long now = System.nanoTime();
        histogram.record(7_000_000, now - 2 * WINDOW);
        histogram.record(2_000, now);
        assertThat(histogram.recentMaxNanos()).isEqualTo(2_000);
    }

    @Test
    void maxOfALoopThatRecordedNothingLatelyIsZero() {
        assertThat(histogram.recentMaxNanos()).isZero();
        histogram.record(7_000_000, System.nanoTime() - 3 * WINDOW);
        assertThat(histogram.recentMaxNanos()).isZero();
        assertThat(histogram.count()).isEqualTo(1);
    }
}
