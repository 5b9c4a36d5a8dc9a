package io.verypoll;

import java.util.Objects;
import java.util.Optional;

/**
 * The readiness a source is registered for: {@link #READABLE}, {@link #WRITABLE} or both. Never
 * empty, immutable, compared by value; combining interests allocates nothing.
 *
 * <pre>{@code
 * Interest both = Interest.READABLE.add(Interest.WRITABLE);    // READABLE | WRITABLE
 * Optional<Interest> rest = both.remove(Interest.READABLE);    // Optional[WRITABLE]
 * Optional<Interest> none = Interest.READABLE.remove(Interest.READABLE); // Optional.empty()
 * }</pre>
 *
 * <p>mio's {@code PRIORITY}, {@code AIO} and {@code LIO} interests have no NIO counterpart and are
 * absent.
 */
public final class Interest {
    private static final int R = 1;
    private static final int W = 2;

    /** Interest in readable events: data to read, a connection to accept, end of stream. */
    public static final Interest READABLE = new Interest(R);
    /** Interest in writable events: room to write, a finished (or failed) connect. */
    public static final Interest WRITABLE = new Interest(W);
    private static final Interest BOTH = new Interest(R | W);

    private static final Optional<Interest> SOME_READABLE = Optional.of(READABLE);
    private static final Optional<Interest> SOME_WRITABLE = Optional.of(WRITABLE);
    private static final Optional<Interest> SOME_BOTH = Optional.of(BOTH);

    private final int bits;

    private Interest(int bits) {
        this.bits = bits;
    }

    private static Interest of(int bits) {
        return bits == R ? READABLE : bits == W ? WRITABLE : BOTH;
    }

    /** @return the union of this and {@code other} */
    public Interest add(Interest other) {
        Objects.requireNonNull(other, "other");
        return of(bits | other.bits);
    }

    /** @return this without {@code other}, or empty when nothing would remain */
    public Optional<Interest> remove(Interest other) {
        Objects.requireNonNull(other, "other");
        int rest = bits & ~other.bits;
        return rest == 0 ? Optional.empty() : rest == R ? SOME_READABLE : rest == W ? SOME_WRITABLE : SOME_BOTH;
    }

    public boolean isReadable() {
        return (bits & R) != 0;
    }

    public boolean isWritable() {
        return (bits & W) != 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Interest && ((Interest) o).bits == bits;
    }

    @Override
    public int hashCode() {
        return bits;
    }

    @Override
    public String toString() {
        return bits == R ? "READABLE" : bits == W ? "WRITABLE" : "READABLE | WRITABLE";
    }
}
