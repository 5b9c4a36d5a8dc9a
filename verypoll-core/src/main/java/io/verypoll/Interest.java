package io.verypoll;

import java.util.Objects;
import java.util.Optional;

/**
 * The readiness a source is registered for: {@link #READABLE}, {@link #WRITABLE}, {@link
 * #PRIORITY} or a union of them. Never empty, immutable, compared by value; combining interests
 * allocates nothing.
 *
 * <pre>{@code
 * Interest both = Interest.READABLE.add(Interest.WRITABLE);    // READABLE | WRITABLE
 * Optional<Interest> rest = both.remove(Interest.READABLE);    // Optional[WRITABLE]
 * Optional<Interest> none = Interest.READABLE.remove(Interest.READABLE); // Optional.empty()
 * }</pre>
 *
 * <p>{@link #PRIORITY} (mio's {@code PRIORITY}, {@code EPOLLPRI}) needs the epoll backend; mio's
 * {@code AIO} and {@code LIO} (BSD only) are absent.
 */
public final class Interest {
    private static final int R = 1;
    private static final int W = 2;
    private static final int P = 4;

    /** Every combination, by bits (slot 0 unused): combining allocates nothing. */
    private static final Interest[] ALL = new Interest[8];
    @SuppressWarnings("unchecked")
    private static final Optional<Interest>[] SOME = new Optional[8];

    static {
        for (int bits = 1; bits < 8; bits++) {
            ALL[bits] = new Interest(bits);
            SOME[bits] = Optional.of(ALL[bits]);
        }
        SOME[0] = Optional.empty();
    }

    /** Interest in readable events: data to read, a connection to accept, end of stream. */
    public static final Interest READABLE = ALL[R];
    /** Interest in writable events: room to write, a finished (or failed) connect. */
    public static final Interest WRITABLE = ALL[W];
    /**
     * Interest in priority events ({@code EPOLLPRI}): TCP urgent (out-of-band) data, and what
     * other descriptors signal that way. On the epoll backend only: registering it on NIO throws
     * {@link UnsupportedOperationException} (a JDK selector cannot watch for it). There is no
     * operation that drains it, so each priority event the kernel reports is delivered (the
     * readable and writable contract does not apply to it).
     *
     * <pre>{@code
     * poll.registry().register(stream, token, Interest.READABLE.add(Interest.PRIORITY));
     * // later: event.isPriority() when the peer sent urgent data
     * }</pre>
     */
    public static final Interest PRIORITY = ALL[P];

    private final int bits;

    private Interest(int bits) {
        this.bits = bits;
    }

    /** @return the union of this and {@code other} */
    public Interest add(Interest other) {
        Objects.requireNonNull(other, "other");
        return ALL[bits | other.bits];
    }

    /** @return this without {@code other}, or empty when nothing would remain */
    public Optional<Interest> remove(Interest other) {
        Objects.requireNonNull(other, "other");
        return SOME[bits & ~other.bits];
    }

    public boolean isReadable() {
        return (bits & R) != 0;
    }

    public boolean isWritable() {
        return (bits & W) != 0;
    }

    /** @see #PRIORITY */
    public boolean isPriority() {
        return (bits & P) != 0;
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
        StringBuilder s = new StringBuilder();
        if (isReadable()) {
            s.append("READABLE");
        }
        if (isWritable()) {
            s.append(s.length() > 0 ? " | " : "").append("WRITABLE");
        }
        if (isPriority()) {
            s.append(s.length() > 0 ? " | " : "").append("PRIORITY");
        }
        return s.toString();
    }
}
