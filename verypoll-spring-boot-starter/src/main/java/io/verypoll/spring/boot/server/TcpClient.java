package io.verypoll.spring.boot.server;

import io.verypoll.net.SocketStream;
import io.verypoll.net.TcpStream;

import org.springframework.boot.ssl.SslBundles;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.Executor;
import java.util.regex.Pattern;

/**
 * A TCP client. Declare one as a {@code @Bean} to keep a link to a backend:
 *
 * <pre>{@code
 * @Bean
 * TcpClient backend() {
 *     return TcpClient.builder().host("127.0.0.1").port(7007)
 *             .handler((connection, data) -> log(data)).build();
 * }
 * }</pre>
 */
public final class TcpClient extends StreamClient {

    /** IPv4 dotted quads and anything with a colon (IPv6): literals, which need no resolving. */
    private static final Pattern LITERAL = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}|.*:.*");

    private TcpClient(String name, ClientSettings settings, ConnectionHandlerFactory factory, Executor executor,
                      SslBundles sslBundles) {
        super(name, settings, factory, executor, sslBundles);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ServerKind kind() {
        return ServerKind.TCP;
    }

    @Override
    public String target() {
        return settings().host() + ":" + settings().port();
    }

    @Override
    SocketAddress unresolvedTarget() {
        ClientSettings s = settings();
        return InetSocketAddress.createUnresolved(s.host(), s.port());
    }

    @Override
    boolean needsResolving(SocketAddress address) {
        return address instanceof InetSocketAddress inet && inet.isUnresolved()
                && !LITERAL.matcher(inet.getHostString()).matches();
    }

    @Override
    SocketAddress resolve(SocketAddress address) {
        InetSocketAddress unresolved = (InetSocketAddress) address;
        InetSocketAddress resolved = new InetSocketAddress(unresolved.getHostString(), unresolved.getPort());
        return resolved.isUnresolved() ? null : resolved;
    }

    @Override
    SocketStream open(SocketAddress address) throws IOException {
        if (address instanceof InetSocketAddress inet && inet.isUnresolved()) {
            // A literal: making the address parses it, no lookup.
            address = new InetSocketAddress(inet.getHostString(), inet.getPort());
        }
        return TcpStream.connect(address);
    }

    @Override
    String tlsPeerHost() {
        return settings().tlsServerName();
    }

    @Override
    int tlsPeerPort() {
        return settings().port();
    }

    @Override
    void prepareConnected(SocketStream stream) throws IOException {
        if (settings().connection().tcpNoDelay()) {
            ((TcpStream) stream).setNodelay(true);
        }
    }

    public static final class Builder extends StreamClientBuilder<Builder> {
        private Builder() {
            super(ServerKind.TCP);
        }

        public Builder host(String value) {
            return set(ClientSetting.HOST, value);
        }

        public Builder port(int value) {
            return set(ClientSetting.PORT, value);
        }

        public Builder tcpNoDelay(boolean on) {
            return set(ServerSetting.TCP_NO_DELAY, on);
        }

        public TcpClient build() {
            return new TcpClient(name, settings, requireFactory("TcpClient"), executor, sslBundles);
        }
    }
}
