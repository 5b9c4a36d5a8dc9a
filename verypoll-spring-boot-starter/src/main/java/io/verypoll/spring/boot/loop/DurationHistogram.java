package io.verypoll.spring.boot.loop;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One kind of duration of one loop (its waits in the poll, or its busy cycles): total, a histogram
 * and a recent maximum. The loop thread is the only writer and pays a few plain-cost opaque stores
 * per value, no allocation and no atomic; readers use opaque loads and change nothing, so any number
 * of registries may read.
 *
 * <p>Buckets grow by powers of 4 from 2<sup>10</sup> ns (about 1 µs) to 2<sup>36</sup> ns (about
 * 69 s), then one bucket for everything longer: 15 in all, so that a bucket is found with one
 * leading-zero count and a loop's meters stay few. The maximum is kept per window of 2<sup>36</sup> ns
 * for the current and the previous window, so it covers the last 69 to 137 seconds: long enough
 * for any usual scrape interval to see a spike once.
 *
 * <pre>{@code
 * DurationHistogram cycles = loop.stats().cycleTimes();
 * long slowerThan1ms = cycles.count() - cycles.cumulativeCount(5); // bucket 5 ends at ~1.05 ms
 * }</pre>
 */
public final class DurationHistogram {

    /** Buckets, the last of them for durations past {@link #upperBoundNanos} of the one before. */
    public static final int BUCKETS = 15;

    private static final int FIRST_BOUND_SHIFT = 10;
    /** Windows of the maximum: 2^36 ns, about 69 s; a shift, not a division, per value. */
    private static final int WINDOW_SHIFT = 36;

    private static final VarHandle TOTAL;
    private static final VarHandle MAX;
    private static final VarHandle MAX_BEFORE;
    private static final VarHandle WINDOW;
    private static final VarHandle BUCKET = MethodHandles.arrayElementVarHandle(long[].class);

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            TOTAL = lookup.findVarHandle(DurationHistogram.class, "totalNanos", long.class);
            MAX = lookup.findVarHandle(DurationHistogram.class, "max", long.class);
            MAX_BEFORE = lookup.findVarHandle(DurationHistogram.class, "maxBefore", long.class);
            WINDOW = lookup.findVarHandle(DurationHistogram.class, "window", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // Written by the loop thread only; read through opaque loads.
    private final long[] buckets = new long[BUCKETS];
    private long totalNanos;
    /** Longest value in {@link #window}, and in the window before it (0 if that had none). */
    private long max;
    private long maxBefore;
    /** nanoTime >> WINDOW_SHIFT of the latest value. */
    private long window;

    DurationHistogram() {
    }

    /** Counts {@code nanos}, measured up to {@code now} ({@link System#nanoTime()}). Loop thread only. */
    void record(long nanos, long now) {
        int bucket = bucket(nanos);
        BUCKET.setOpaque(buckets, bucket, buckets[bucket] + 1);
        TOTAL.setOpaque(this, totalNanos + nanos);
        long w = now >> WINDOW_SHIFT;
        if (w != window) {
            // Once per window of an active loop. Released last: a reader that sees the new window
            // sees its maxima too.
            MAX_BEFORE.setOpaque(this, w == window + 1 ? max : 0L);
            MAX.setOpaque(this, 0L);
            WINDOW.setRelease(this, w);
        }
        if (nanos > max) {
            MAX.setOpaque(this, nanos);
        }
    }

    /** The bucket of {@code nanos}: the first with {@code nanos <= upperBoundNanos(bucket)}. */
    static int bucket(long nanos) {
        long kibiNanos = (Math.max(nanos, 1) - 1) >>> FIRST_BOUND_SHIFT;
        // Bit length 2k-1 or 2k means (4^(k-1), 4^k] kibi-nanoseconds: bucket k.
        return Math.min((65 - Long.numberOfLeadingZeros(kibiNanos)) >>> 1, BUCKETS - 1);
    }

    /** Inclusive upper bound of {@code bucket}; {@link Long#MAX_VALUE} for the last (unbounded) one. */
    public static long upperBoundNanos(int bucket) {
        return bucket >= BUCKETS - 1 ? Long.MAX_VALUE : 1L << (FIRST_BOUND_SHIFT + 2 * bucket);
    }

    // ---------------------------------------------------------------- any thread

    /** Values counted so far: the sum of the buckets, so it never disagrees with them. */
    public long count() {
        return cumulativeCount(BUCKETS - 1);
    }

    public long totalNanos() {
        return (long) TOTAL.getOpaque(this);
    }

    /** Values counted in {@code bucket}. */
    public long bucketCount(int bucket) {
        return (long) BUCKET.getOpaque(buckets, bucket);
    }

    /** Values up to {@link #upperBoundNanos upperBoundNanos(bucket)}, the form histograms export. */
    public long cumulativeCount(int bucket) {
        long sum = 0;
        for (int i = 0; i <= bucket; i++) {
            sum += bucketCount(i);
        }
        return sum;
    }

    /**
     * The longest value of the last 69 to 137 seconds, 0 if there was none. Computed from the
     * reader's clock without resetting anything. A read racing with the loop's turn to a new window
     * may miss the maximum of the window before, for that one read.
     */
    public long recentMaxNanos() {
        long age = (System.nanoTime() >> WINDOW_SHIFT) - (long) WINDOW.getAcquire(this);
        long current = (long) MAX.getOpaque(this);
        if (age <= 0) {
            return Math.max(current, (long) MAX_BEFORE.getOpaque(this));
        }
        return age == 1 ? current : 0;
    }
}
