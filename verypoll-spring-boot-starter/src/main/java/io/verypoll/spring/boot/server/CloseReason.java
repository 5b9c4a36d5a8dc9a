package io.verypoll.spring.boot.server;

/**
 * Why a connection was closed; the {@code reason} tag of {@code verypoll.connections.closed}. The
 * {@code connect-*} reasons and {@code unresolved} are for outbound connections that never opened.
 */
public enum CloseReason {
    /** The peer ended its side and the connection was then closed. */
    PEER_CLOSED("peer-closed"),
    /** The application called {@link Connection#close()}, {@link Connection#closeNow()} or {@link Connection#abort()}. */
    LOCAL("local"),
    /** No byte moved in either direction for the idle timeout. */
    IDLE_TIMEOUT("idle-timeout"),
    /** Bytes waiting for a slow peer went over the server's max-pending-bytes cap. */
    PENDING_CAP("pending-cap"),
    /**
     * A graceful close sent everything and its end of stream, but the peer kept sending (ignoring it)
     * until the idle timeout.
     */
    LINGER_TIMEOUT("linger-timeout"),
    /** The handler threw. */
    HANDLER_ERROR("handler-error"),
    /** A read or write failed (a reset, for instance). */
    IO_ERROR("io-error"),
    /** The loop serving the connection failed (not a handler's error: the loop's own machinery). */
    LOOP_FAILED("loop-failed"),
    /** The application shut down and the connection had sent everything (and the peer closed too). */
    SHUTDOWN("shutdown"),
    /** The application shut down and the connection still had bytes to send at the shutdown timeout. */
    SHUTDOWN_FORCED("shutdown-forced"),
    /**
     * A frame's content was longer than max-frame-length (or the decoder's own limit); closed
     * gracefully after the handler's {@link MessageHandler#onFrameTooLong} and what it wrote.
     */
    FRAME_TOO_LONG("frame-too-long"),
    /** A frame that had started did not complete within the frame timeout. */
    FRAME_TIMEOUT("frame-timeout"),
    /** The decoder found input that cannot be a frame (a {@code FrameException}). */
    FRAME_ERROR("frame-error"),
    /** Holding this connection's incomplete input would have taken the server over max-buffered-input. */
    INPUT_CAP("input-cap"),
    /** The TLS handshake did not complete within the handshake timeout. */
    TLS_HANDSHAKE_TIMEOUT("tls-handshake-timeout"),
    /**
     * TLS failed: the handshake (no common protocol or cipher, a certificate refused, a plaintext client),
     * a record that does not decrypt, a renegotiation. The cause is counted in {@code verypoll.tls.failures}.
     */
    TLS_ERROR("tls-error"),
    /** A server taking the PROXY protocol got no complete header within the handshake timeout. */
    PROXY_PROTOCOL_TIMEOUT("proxy-protocol-timeout"),
    /** A server taking the PROXY protocol got a missing or malformed header. */
    PROXY_PROTOCOL_ERROR("proxy-protocol-error"),
    /**
     * An outbound connection ({@link StreamClient}) was refused: nobody listens there (or the socket file
     * is missing). The connection never opened; its handler gets only {@code onClose}.
     */
    CONNECT_REFUSED("connect-refused"),
    /** An outbound connection did not complete within the client's connect-timeout; it never opened. */
    CONNECT_TIMEOUT("connect-timeout"),
    /** The client's host name did not resolve; the outbound connection never opened. */
    UNRESOLVED("unresolved"),
    /** An outbound connect failed otherwise (no route, a reset during the handshake, ...); it never opened. */
    CONNECT_FAILED("connect-failed");

    private final String tag;

    CloseReason(String tag) {
        this.tag = tag;
    }

    /** The value used in meter tags and logs. */
    public String tag() {
        return tag;
    }
}
