package io.verypoll.spring.boot.server;

import javax.net.ssl.SSLHandshakeException;
import java.security.cert.CertificateException;
import java.util.Locale;

/** Why TLS failed on a connection: the bounded {@code cause} tag of {@code verypoll.tls.failures}. */
public enum TlsFailure {
    /** The first bytes were no TLS record: a plaintext client, or garbage. */
    NOT_TLS("not-tls"),
    /** A certificate was refused or missing: an unknown CA, client-auth need without one. */
    CERTIFICATE("certificate"),
    /** No protocol version, cipher suite or ALPN protocol in common. */
    NEGOTIATION("negotiation"),
    /** Another handshake failure, or the peer closed in the middle of the handshake. */
    HANDSHAKE("handshake"),
    /** After the handshake: the peer asked for a renegotiation, which is refused. */
    RENEGOTIATION("renegotiation"),
    /** After the handshake: a record that does not decrypt or does not belong there. */
    RECORD("record");

    private final String tag;

    TlsFailure(String tag) {
        this.tag = tag;
    }

    public String tag() {
        return tag;
    }

    /**
     * The cause an alert record at the start of {@code net} gives (a plaintext alert: a handshake
     * failure before any key was agreed); {@link #HANDSHAKE} when there is none or it cannot be read.
     */
    static TlsFailure ofAlert(java.nio.ByteBuffer net) {
        int p = net.position();
        if (net.remaining() < 7 || net.get(p) != 21 || (net.get(p + 3) & 0xff) != 0 || (net.get(p + 4) & 0xff) != 2) {
            return HANDSHAKE;
        }
        return switch (net.get(p + 6) & 0xff) {
            // bad, unsupported, revoked, expired, unknown certificate; unknown_ca; certificate_required
            case 42, 43, 44, 45, 46, 48, 116 -> CERTIFICATE;
            // handshake_failure (no cipher suite or group in common), protocol_version, insufficient_security,
            // no_application_protocol
            case 40, 70, 71, 120 -> NEGOTIATION;
            default -> HANDSHAKE;
        };
    }

    /** The cause of an exception the engine threw, in the handshake or after it. */
    static TlsFailure of(Throwable error, boolean handshaking) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof CertificateException) {
                return CERTIFICATE;
            }
        }
        String message = String.valueOf(error.getMessage()).toLowerCase(Locale.ROOT);
        if (message.contains("certificate") || message.contains("unknown_ca") || message.contains("path")) {
            return CERTIFICATE;
        }
        if (message.contains("protocol") || message.contains("cipher") || message.contains("no_application")) {
            return NEGOTIATION;
        }
        return handshaking || error instanceof SSLHandshakeException ? HANDSHAKE : RECORD;
    }
}
