package io.verypoll.spring.boot;

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
        final long[] closed = new long[CloseReason.values().length];
    }

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
        long sum = 0;
        for (Stripe s : stripes) {
            sum += s.bytesReceived;
        }
        return sum;
    }

    long bytesSent() {
        long sum = 0;
        for (Stripe s : stripes) {
            sum += s.bytesSent;
        }
        return sum;
    }

    long pendingBytes() {
        long sum = 0;
        for (Stripe s : stripes) {
            sum += s.pendingBytes;
        }
        return sum;
    }

    long datagramsReceived() {
        long sum = 0;
        for (Stripe s : stripes) {
            sum += s.datagramsReceived;
        }
        return sum;
    }

    long datagramsSent() {
        long sum = 0;
        for (Stripe s : stripes) {
            sum += s.datagramsSent;
        }
        return sum;
    }

    long datagramsDropped() {
        long sum = 0;
        for (Stripe s : stripes) {
            sum += s.datagramsDropped;
        }
        return sum;
    }

    long closed(CloseReason reason) {
        long sum = 0;
        for (Stripe s : stripes) {
            sum += s.closed[reason.ordinal()];
        }
        return sum;
    }
}
