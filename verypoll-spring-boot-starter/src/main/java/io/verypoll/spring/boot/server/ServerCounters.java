package io.verypoll.spring.boot.server;

import java.util.function.ToLongFunction;

/**
 * Counters of one server, striped by loop: each stripe is written by one loop thread only, so the hot
 * path does plain increments; meters sum the stripes when they are read.
 */
final class ServerCounters {

    static final class Stripe {
        long bytesReceived;
        long bytesSent;
        /** Bytes written by handlers and not yet taken by sockets; goes up and down. */
        long pendingBytes;
        long datagramsReceived;
        long datagramsSent;
        long datagramsDropped;
        long receiveErrors;
        /** Exceptions thrown by the server's handler on this loop. */
        long handlerErrors;
        /** Offloaded work not yet replied; goes up and down. */
        long offloadsInFlight;
        /** Offloaded work whose reply was dropped because its connection closed first. */
        long offloadsDropped;
        final long[] closed = new long[CloseReason.values().length];
        /** TLS failures by cause. */
        final long[] tlsFailures = new long[TlsFailure.values().length];
    }

    /** Counters of a server that has not started: no stripes, every sum 0. */
    static final ServerCounters NONE = new ServerCounters(0);

    private final Stripe[] stripes;

    ServerCounters(int loops) {
        stripes = new Stripe[loops];
        for (int i = 0; i < loops; i++) {
            stripes[i] = new Stripe();
        }
    }

    Stripe stripe(int loop) {
        return stripes[loop];
    }

    long bytesReceived() {
        return sum(s -> s.bytesReceived);
    }

    long bytesSent() {
        return sum(s -> s.bytesSent);
    }

    long pendingBytes() {
        return sum(s -> s.pendingBytes);
    }

    long datagramsReceived() {
        return sum(s -> s.datagramsReceived);
    }

    long datagramsSent() {
        return sum(s -> s.datagramsSent);
    }

    long datagramsDropped() {
        return sum(s -> s.datagramsDropped);
    }

    long receiveErrors() {
        return sum(s -> s.receiveErrors);
    }

    long handlerErrors() {
        return sum(s -> s.handlerErrors);
    }

    long offloadsInFlight() {
        return sum(s -> s.offloadsInFlight);
    }

    long offloadsDropped() {
        return sum(s -> s.offloadsDropped);
    }

    long closed(CloseReason reason) {
        int index = reason.ordinal();
        return sum(s -> s.closed[index]);
    }

    long tlsFailures(TlsFailure cause) {
        int index = cause.ordinal();
        return sum(s -> s.tlsFailures[index]);
    }

    private long sum(ToLongFunction<Stripe> counter) {
        long sum = 0;
        for (Stripe s : stripes) {
            sum += counter.applyAsLong(s);
        }
        return sum;
    }
}
