package io.verypoll.spring.boot.server;

import java.io.IOException;

/**
 * A layer of the wire ({@link StreamChannel}) found input it cannot take: a TLS failure, a bad PROXY
 * header. The connection closes with {@link #reason()} (instead of {@code io-error}), and a TLS
 * failure counts its {@link #tls() cause}.
 */
final class LayerFailure extends IOException {

    private final CloseReason reason;
    private final TlsFailure tls;

    LayerFailure(CloseReason reason, TlsFailure tls, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.tls = tls;
    }

    static LayerFailure tls(TlsFailure failure, String message, Throwable cause) {
        return new LayerFailure(CloseReason.TLS_ERROR, failure, message, cause);
    }

    static LayerFailure proxy(String message) {
        return new LayerFailure(CloseReason.PROXY_PROTOCOL_ERROR, null, message, null);
    }

    CloseReason reason() {
        return reason;
    }

    /** The TLS cause, or null for another layer. */
    TlsFailure tls() {
        return tls;
    }
}
