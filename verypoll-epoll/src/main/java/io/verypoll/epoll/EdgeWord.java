package io.verypoll.epoll;

import io.verypoll.Interest;
import io.verypoll.spi.Readiness;

/**
 * Layout of {@link EpollSource}'s state word, and the pure functions on it (as the NIO backend's
 * {@code StateWord}). One {@code long} holds everything that must change together:
 *
 * <ul>
 *   <li>bits 0-1: the armed directions (owed an event): {@link Readiness#READABLE}, {@link
 *       Readiness#WRITABLE};
 *   <li>bits 2-3: the directions whose edge came while disarmed (missed);
 *   <li>bits 4-5: the registered directions; bit 6: registered; bit 7: a connect is in progress;
 *       bit 8: registered with {@link Interest#PRIORITY};
 *   <li>bits 9-63: a generation, bumped by every registration change, so that a compare-and-set
 *       based on an earlier registration fails even when the new one looks the same (ABA).
 * </ul>
 */
final class EdgeWord {
    static final int R = Readiness.READABLE;
    static final int W = Readiness.WRITABLE;
    private static final int BOTH = R | W;

    private static final int MISSED_SHIFT = 2;
    private static final int WANT_SHIFT = 4;
    private static final long REGISTERED = 1 << 6;
    private static final long CONNECTING = 1 << 7;
    /** EPOLLPRI watched, and delivered on every kernel report (nothing drains it). */
    private static final long PRIORITY = 1 << 8;
    private static final long GENERATION = 1 << 9;

    private EdgeWord() {
    }

    /** The word of a new source: unregistered, connecting or not. */
    static long initial(boolean connecting) {
        return connecting ? CONNECTING : 0;
    }

    static int armed(long s) {
        return (int) s & BOTH;
    }

    static int want(long s) {
        return (int) (s >>> WANT_SHIFT) & BOTH;
    }

    static boolean missedAny(long s, int dirs) {
        return (s & ((long) dirs << MISSED_SHIFT)) != 0;
    }

    static boolean registered(long s) {
        return (s & REGISTERED) != 0;
    }

    static boolean connecting(long s) {
        return (s & CONNECTING) != 0;
    }

    static boolean priority(long s) {
        return (s & PRIORITY) != 0;
    }

    private static long nextGeneration(long s) {
        return ((s & -GENERATION) + GENERATION) | (s & CONNECTING);
    }

    static int directions(Interest interests) {
        return (interests.isReadable() ? R : 0) | (interests.isWritable() ? W : 0);
    }

    /** A fresh registration for {@code interests}: all its directions armed, nothing missed, a new generation. */
    static long registration(long s, Interest interests) {
        int dirs = directions(interests);
        return nextGeneration(s) | REGISTERED | ((long) dirs << WANT_SHIFT) | dirs | (interests.isPriority() ? PRIORITY : 0);
    }

    /** No registration, a new generation; the connect bit kept. */
    static long unregistered(long s) {
        return nextGeneration(s) & ~REGISTERED;
    }

    /** After an event with ready registered directions {@code dirs}: {@code owed} delivered and disarmed, the rest missed. */
    static long delivered(long s, int dirs, int owed) {
        return (s & ~(owed | ((long) owed << MISSED_SHIFT))) | ((long) (dirs & ~owed) << MISSED_SHIFT);
    }

    /** {@code dirs} armed again, their missed edges forgotten (the caller asks the kernel again if there were any). */
    static long rearmed(long s, int dirs) {
        return (s | dirs) & ~((long) dirs << MISSED_SHIFT);
    }

    /** The connect is over: every registered direction armed, nothing missed, as after a registration. */
    static long connected(long s) {
        return (s & ~(CONNECTING | BOTH | ((long) BOTH << MISSED_SHIFT))) | want(s);
    }

    /**
     * What the kernel watches: the registered directions, edge-triggered, the peer's shutdown (for
     * the read-closed hint) and priority data if asked. Errors and hang-ups come anyway.
     */
    static int kernelEvents(long s) {
        int w = want(s);
        return Libc.EPOLLET | Libc.EPOLLRDHUP | ((w & R) != 0 ? Libc.EPOLLIN : 0) | ((w & W) != 0 ? Libc.EPOLLOUT : 0)
                | (priority(s) ? Libc.EPOLLPRI : 0);
    }
}
