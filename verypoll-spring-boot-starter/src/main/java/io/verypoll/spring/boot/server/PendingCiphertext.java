package io.verypoll.spring.boot.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * Ciphertext a TLS connection has wrapped and the socket has not taken yet, in order. Wrapping goes
 * into the loop's shared packet buffer; only what the socket leaves of it is copied here, into a
 * buffer dropped as soon as it is sent, so a connection holds ciphertext only while it is in flight.
 */
final class PendingCiphertext {

    /** What waits (read mode), null when nothing does. */
    private ByteBuffer waiting;

    boolean isEmpty() {
        return waiting == null;
    }

    /** Bytes waiting. */
    int bytes() {
        return waiting == null ? 0 : waiting.remaining();
    }

    /** Sends {@code net} behind what waits, as far as {@code out} takes it; keeps the rest. */
    void send(ByteBuffer net, WritableByteChannel out) throws IOException {
        if (!net.hasRemaining()) {
            return;
        }
        if (waiting == null || flush(out)) {
            while (net.hasRemaining()) {
                if (out.write(net) == 0) {
                    break;
                }
            }
            if (!net.hasRemaining()) {
                return;
            }
        }
        ByteBuffer kept = ByteBuffer.allocate(bytes() + net.remaining());
        if (waiting != null) {
            kept.put(waiting);
        }
        waiting = kept.put(net).flip();
    }

    /** Sends what waits as far as {@code out} takes it; true when nothing is left. */
    boolean flush(WritableByteChannel out) throws IOException {
        ByteBuffer w = waiting;
        if (w == null) {
            return true;
        }
        while (w.hasRemaining()) {
            if (out.write(w) == 0) {
                return false;
            }
        }
        waiting = null;
        return true;
    }

    void clear() {
        waiting = null;
    }
}
