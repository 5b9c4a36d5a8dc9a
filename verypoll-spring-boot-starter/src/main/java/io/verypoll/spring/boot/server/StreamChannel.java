package io.verypoll.spring.boot.server;

import io.verypoll.Source;

import javax.net.ssl.SSLSession;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.ByteChannel;
import java.nio.channels.GatheringByteChannel;

/**
 * The wire side of a {@link Connection}: what it reads from and writes to. The plain one is the
 * socket itself ({@link SocketStreamChannel}); a layer that transforms bytes on the wire (TLS, a
 * PROXY-protocol header) wraps another channel. Framing is not done here but above, in the
 * connection's handler. Gathering writes send a batch of replies, or a header and a body, with one
 * system call. With one implementation loaded, calls through this interface compile to
 * direct calls, so the seam costs nothing while unused.
 *
 * <p>A layer may first need a setup (a PROXY header, a TLS handshake): until {@link #isReady()} the
 * connection opens no handler, reads only to drive the setup, and its writes wait. A layer may hold
 * bytes of its own to send ({@link #hasBufferedOutput()}, flushed by {@link #flushBuffered()} when
 * the socket is writable) and input it has read from the socket but not handed on yet
 * ({@link #hasBufferedInput()}): the connection then reads again without waiting for an event. A
 * layer that waits for work done elsewhere (a TLS delegated task) calls the {@link #resumeWith}
 * action on the loop when it is done. Its failures are {@link LayerFailure}s, naming the close reason.
 */
interface StreamChannel extends ByteChannel, GatheringByteChannel {

    /** What the loop registers for readiness. */
    Source source();

    /** Sends the end of stream after everything written so far. */
    void shutdownOutput() throws IOException;

    /** The peer's address, or null once it can no longer be told (for logs and the endpoint). */
    SocketAddress remoteAddress();

    /** The local address, or null once it can no longer be told. */
    SocketAddress localAddress();

    /**
     * Makes the coming {@link #close()} a reset: {@code SO_LINGER} 0 on a TCP socket (its peer gets an
     * RST); nothing on a Unix-domain one, which has no reset. A layer passes it to the socket below.
     */
    void resetOnClose() throws IOException;

    /** The error a failed connect or a reset left behind, if any; cleared by the call. */
    IOException takeError();

    /** The setup is done (or there is none): application bytes may flow. */
    default boolean isReady() {
        return true;
    }

    /** Why the connection closes when the setup is not done by the handshake timeout. */
    default CloseReason setupTimeoutReason() {
        return CloseReason.IDLE_TIMEOUT;
    }

    /** Bytes of the layer's own (ciphertext, an alert) wait for the socket to take them. */
    default boolean hasBufferedOutput() {
        return false;
    }

    /** Sends what the layer holds, as far as the socket takes it; goes on with the setup if it waited. */
    default void flushBuffered() throws IOException {
    }

    /** Input taken from the socket and not handed on yet, or a socket maybe not drained: read again now. */
    default boolean hasBufferedInput() {
        return false;
    }

    /** {@code action} runs on the loop when the layer can go on after work done elsewhere; set once, at open. */
    default void resumeWith(Runnable action) {
    }

    /** The TLS session once the handshake is done, or null (no TLS). */
    default SSLSession sslSession() {
        return null;
    }
}
