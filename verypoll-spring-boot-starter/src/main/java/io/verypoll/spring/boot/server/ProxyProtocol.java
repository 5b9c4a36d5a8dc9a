package io.verypoll.spring.boot.server;

/**
 * Which PROXY protocol header (HAProxy's, sent by load balancers in front of the server) a server
 * expects before anything else on each connection:
 * <pre>{@code
 * TcpServer.builder().proxyProtocol(ProxyProtocol.ANY)...   // verypoll.servers.<name>.proxy-protocol=any
 * }</pre>
 * With one, a connection without a valid header is closed ({@code proxy-protocol-error}), and
 * {@link Connection#remoteAddress()} is the client the header names.
 */
public enum ProxyProtocol {
    /** No header: the connection's first byte is the application's (or the TLS ClientHello). */
    OFF,
    /** The text header, version 1 ({@code PROXY TCP4 ...\r\n}). */
    V1,
    /** The binary header, version 2. */
    V2,
    /** Either version, told apart by the first byte. */
    ANY;

    boolean accepts(int version) {
        return this == ANY || (version == 1 && this == V1) || (version == 2 && this == V2);
    }
}
