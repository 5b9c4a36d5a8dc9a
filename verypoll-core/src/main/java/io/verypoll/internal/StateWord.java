package io.verypoll.internal;

import java.nio.channels.SelectionKey;

/**
 * Layout of {@link ChannelState}'s state word, and the pure functions on it. One {@code long}
 * holds everything that must change together:
 *
 * <ul>
 *   <li>bits 0-7: the armed NIO operations (owed an event);
 *   <li>bits 8-15: the NIO operations of the registration;
 *   <li>bit 16: registered; bit 17: a connect is in progress;
 *   <li>bits 18-63: a generation, bumped by every registration change, so that a compare-and-set
 *       based on an earlier registration fails even when the new one looks the same (ABA).
 * </ul>
 */
final class StateWord {
    private static final long ARMED_MASK = 0xFF;
    private static final int REGISTERED_OPS_SHIFT = 8;
    private static final long REGISTERED = 1L << 16;
    static final long CONNECTING = 1L << 17;
    private static final long GENERATION = 1L << 18;

    private StateWord() {
    }

    static boolean registered(long s) {
        return (s & REGISTERED) != 0;
    }

    static boolean connecting(long s) {
        return (s & CONNECTING) != 0;
    }

    static int armedOps(long s) {
        return (int) (s & ARMED_MASK);
    }

    static int registeredOps(long s) {
        return (int) (s >>> REGISTERED_OPS_SHIFT) & 0xFF;
    }

    /** A new registration for {@code ops} after {@code s}, every one of them armed. */
    static long registration(long s, int ops) {
        return nextGeneration(s) | REGISTERED | ((long) ops << REGISTERED_OPS_SHIFT) | ops;
    }

    /** No registration after {@code s}; the connect status is the channel's and stays. */
    static long unregistered(long s) {
        return nextGeneration(s);
    }

    private static long nextGeneration(long s) {
        return ((s & -GENERATION) + GENERATION) | (s & CONNECTING);
    }

    /** The connect is over: {@code s} with every registered operation armed. */
    static long connected(long s) {
        return (s & ~(CONNECTING | ARMED_MASK)) | registeredOps(s);
    }

    /**
     * The interest the current key needs in state {@code s}, keeping what it has ({@code current})
     * where that is allowed: registered operations that are no longer armed (the lazy disarm).
     */
    static int keyOps(long s, int current) {
        if (!registered(s)) {
            return 0;
        }
        if (connecting(s)) {
            return SelectionKey.OP_CONNECT;
        }
        return (current & registeredOps(s)) | armedOps(s);
    }
}
