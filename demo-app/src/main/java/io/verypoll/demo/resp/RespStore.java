package io.verypoll.demo.resp;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The RESP server's keys and values: one {@link ConcurrentHashMap} shared by every loop, since a
 * client's connections (and different clients) land on different loops and must all see the same
 * keys. Lookups take no lock; each update is one atomic map operation, retried if another loop got
 * in between (INCR is a compare-and-replace loop), so every command is atomic as in Redis.
 *
 * <p>A value is a {@code byte[]}, a {@link Slice} (a large value kept inside the array its SET
 * command arrived in, not copied out of it), or an {@link Expiring} holding either for a key set
 * with EX or PX. Stored values are never changed, so GET hands them out as they are. Expired keys
 * are removed when touched; besides, at most once a second a SET with an expiry sweeps the whole
 * map, so keys that expire and are never touched again do not pile up. There is no eviction: the
 * store holds what clients set (each value at most the server's max-frame-length).
 */
public final class RespStore {

    /** A value that is {@code array[offset, offset + length)}: the rest of the array is not the value's. */
    record Slice(byte[] array, int offset, int length) {
        ByteBuffer buffer() {
            return ByteBuffer.wrap(array, offset, length);
        }
    }

    /** A value ({@code byte[]} or {@link Slice}) with a deadline ({@link System#nanoTime()}: monotonic, unlike the wall clock). */
    record Expiring(Object value, long deadlineNanos) {
        boolean expired(long now) {
            return now - deadlineNanos >= 0;
        }
    }

    enum Condition { ALWAYS, IF_ABSENT, IF_PRESENT }

    private static final long SWEEP_INTERVAL_NANOS = 1_000_000_000L;

    private final ConcurrentHashMap<RespKey, Object> entries = new ConcurrentHashMap<>();
    private final AtomicLong nextSweep = new AtomicLong(System.nanoTime());

    /** The value of {@code key}, a {@code byte[]} or a {@link Slice}, or null. */
    Object get(RespKey key) {
        Object stored = live(key);
        return stored == null ? null : value(stored);
    }

    boolean exists(RespKey key) {
        return live(key) != null;
    }

    /**
     * Sets {@code key} to {@code value}, with a deadline if {@code ttlNanos > 0}, provided the
     * condition holds; false when it did not. {@code key} may be a probe: it is copied only if the
     * key is new.
     */
    boolean set(RespKey key, byte[] value, long ttlNanos, Condition condition) {
        return put(key, value, ttlNanos, condition);
    }

    /** {@link #set(RespKey, byte[], long, Condition)} with a value kept inside a larger array. */
    boolean set(RespKey key, Slice value, long ttlNanos, Condition condition) {
        return put(key, value, ttlNanos, condition);
    }

    private boolean put(RespKey key, Object value, long ttlNanos, Condition condition) {
        long now = ttlNanos > 0 ? System.nanoTime() : 0;
        Object stored = ttlNanos > 0 ? new Expiring(value, now + ttlNanos) : value;
        if (ttlNanos > 0) {
            maybeSweep(now);
        }
        if (condition == Condition.ALWAYS && entries.replace(key, stored) != null) {
            return true; // the common case, an existing key overwritten: one map operation, no key copied
        }
        while (true) {
            Object old = live(key);
            if (old == null) {
                if (condition == Condition.IF_PRESENT) {
                    return false;
                }
                if (entries.putIfAbsent(key.copy(), stored) == null) {
                    return true;
                }
            } else {
                if (condition == Condition.IF_ABSENT) {
                    return false;
                }
                if (entries.replace(key, old, stored)) {
                    return true;
                }
            }
        }
    }

    /** Removes {@code key}; true if it was there (and not expired). */
    boolean delete(RespKey key) {
        Object old = entries.remove(key);
        return old != null && !(old instanceof Expiring e && e.expired(System.nanoTime()));
    }

    /**
     * Adds one to the integer at {@code key} (absent: 0) and returns the result; a key with a
     * deadline keeps it, as in Redis.
     *
     * @throws RespError when the value is not an integer, or is the largest long
     */
    long increment(RespKey key) {
        while (true) {
            Object old = live(key);
            if (old == null) {
                if (entries.putIfAbsent(key.copy(), RespNumbers.bytes(1)) == null) {
                    return 1;
                }
                continue;
            }
            Object value = value(old);
            long current = value instanceof Slice s ? RespNumbers.parse(s.buffer(), s.offset(), s.length())
                    : RespNumbers.parse((byte[]) value);
            if (current == Long.MAX_VALUE) {
                throw RespError.OVERFLOW;
            }
            long result = current + 1;
            byte[] bytes = RespNumbers.bytes(result);
            Object replacement = old instanceof Expiring e ? new Expiring(bytes, e.deadlineNanos()) : bytes;
            if (entries.replace(key, old, replacement)) {
                return result;
            }
        }
    }

    /** Keys held, expired ones not yet removed included. */
    public int size() {
        return entries.size();
    }

    public void clear() {
        entries.clear();
    }

    /** The stored object of {@code key} if it has not expired; an expired one is removed. */
    private Object live(RespKey key) {
        Object stored = entries.get(key);
        if (stored instanceof Expiring e && e.expired(System.nanoTime())) {
            entries.remove(key, stored);
            return null;
        }
        return stored;
    }

    private static Object value(Object stored) {
        return stored instanceof Expiring e ? e.value() : stored;
    }

    /** At most once per interval, by whichever caller wins the race: removes every expired key. */
    private void maybeSweep(long now) {
        long due = nextSweep.get();
        if (now - due < 0 || !nextSweep.compareAndSet(due, now + SWEEP_INTERVAL_NANOS)) {
            return;
        }
        entries.forEach((key, stored) -> {
            if (stored instanceof Expiring e && e.expired(now)) {
                entries.remove(key, stored);
            }
        });
    }
}
