package io.verypoll.spring.boot.server;

import io.verypoll.net.SocketListener;
import io.verypoll.net.SocketStream;
import io.verypoll.net.TcpListener;
import io.verypoll.net.TcpStream;

import org.springframework.boot.ssl.SslBundles;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.Executor;

/**
 * A TCP server. Declare one as a {@code @Bean}:
 *
 * <pre>{@code
 * @Bean
 * TcpServer echo() {
 *     return TcpServer.builder().port(7007).handler((connection, data) -> connection.write(data)).build();
 * }
 * }</pre>
 */
public final class TcpServer extends StreamServer {

    private TcpServer(String name, ServerSettings settings, ConnectionHandlerFactory factory, Executor offloadExecutor,
                      SslBundles sslBundles) {
        super(name, settings, factory, offloadExecutor, sslBundles);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ServerKind kind() {
        return ServerKind.TCP;
    }

    @Override
    SocketListener<?> bindListener() throws IOException {
        ServerSettings s = settings();
        return bindPort(port -> TcpListener.bind(new InetSocketAddress(s.address(), port), s.backlog()));
    }

    @Override
    void prepareAccepted(SocketStream stream) throws IOException {
        if (settings().tcpNoDelay()) {
            ((TcpStream) stream).setNodelay(true);
        }
    }

    public static final class Builder extends StreamServerBuilder<Builder> {
        private Builder() {
            super(ServerKind.TCP);
        }

        public Builder address(String host) {
            return set(ServerSetting.ADDRESS, host);
        }

        public Builder port(int port) {
            return set(ServerSetting.PORT, port);
        }

        public Builder tcpNoDelay(boolean on) {
            return set(ServerSetting.TCP_NO_DELAY, on);
        }

        public TcpServer build() {
            return new TcpServer(name, settings, requireFactory("TcpServer"), offloadExecutor, sslBundles);
        }
    }
}
