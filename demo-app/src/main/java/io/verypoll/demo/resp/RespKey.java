package io.verypoll.demo.resp;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A key of the {@link RespStore}: bytes and their hash. A stored key owns its bytes and never
 * changes. A probe (one per loop) is refilled from the frame for each lookup, so GET, EXISTS, DEL
 * and INCR of an existing key allocate nothing; only a key that goes into the map is copied
 * ({@link #copy()}).
 *
 * <p>Comparable, so that ConcurrentHashMap orders a bin of colliding keys as a tree (lookups stay
 * O(log n) even when someone picks keys with equal hashes).
 */
final class RespKey implements Comparable<RespKey> {

    private byte[] bytes;
    private int length;
    private int hash;

    /** A probe, to be {@link #fill filled}. */
    RespKey() {
        this.bytes = new byte[64];
    }

    private RespKey(byte[] bytes, int hash) {
        this.bytes = bytes;
        this.length = bytes.length;
        this.hash = hash;
    }

    /** A stored key of {@code bytes} (tests, and keys that do not come from a frame). */
    static RespKey of(byte[] bytes) {
        return new RespKey(bytes.clone(), hash(bytes, bytes.length));
    }

    /** This probe, holding {@code src[at, at + length)} now. */
    RespKey fill(ByteBuffer src, int at, int length) {
        if (bytes.length < length) {
            bytes = new byte[Math.max(length, 2 * bytes.length)];
        }
        src.get(at, bytes, 0, length);
        this.length = length;
        this.hash = hash(bytes, length);
        return this;
    }

    /** A stored key with this probe's bytes. */
    RespKey copy() {
        return new RespKey(Arrays.copyOf(bytes, length), hash);
    }

    private static int hash(byte[] bytes, int length) {
        int h = 1;
        for (int i = 0; i < length; i++) {
            h = 31 * h + bytes[i];
        }
        return h;
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof RespKey that && that.hash == hash
                && Arrays.equals(bytes, 0, length, that.bytes, 0, that.length);
    }

    @Override
    public int compareTo(RespKey other) {
        return Arrays.compareUnsigned(bytes, 0, length, other.bytes, 0, other.length);
    }

    @Override
    public String toString() {
        return new String(bytes, 0, length, java.nio.charset.StandardCharsets.ISO_8859_1);
    }
}
