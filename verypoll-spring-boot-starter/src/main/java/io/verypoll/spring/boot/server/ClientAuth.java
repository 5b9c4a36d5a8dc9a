package io.verypoll.spring.boot.server;

/**
 * Whether a TLS server asks its clients for a certificate, as Boot's {@code server.ssl.client-auth}:
 * <pre>{@code
 * TcpServer.builder().sslBundle("server").clientAuth(ClientAuth.NEED)...
 * }</pre>
 */
public enum ClientAuth {
    /** No certificate asked. */
    NONE,
    /** Asked for; a client without one is still served. */
    WANT,
    /** Required: a client without a certificate the bundle's trust store accepts fails the handshake. */
    NEED
}
