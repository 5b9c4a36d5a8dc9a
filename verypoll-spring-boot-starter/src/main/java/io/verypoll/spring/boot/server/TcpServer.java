package io.verypoll.spring.boot.server;

import io.verypoll.Source;
import io.verypoll.net.TcpListener;
import io.verypoll.net.TcpStream;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

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

    private TcpListener listener;

    private TcpServer(String name, ServerSettings settings, ConnectionHandlerFactory factory) {
        super(name, settings, factory);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ServerKind kind() {
        return ServerKind.TCP;
    }

    @Override
    Source openListener() throws IOException {
        ServerSettings s = settings();
        listener = TcpListener.bind(new InetSocketAddress(s.address(), s.port()), s.backlog());
        return listener;
    }

    @Override
    Source listenerSource() {
        return listener;
    }

    @Override
    SocketAddress listenerAddress() throws IOException {
        return listener.localAddress();
    }

    @Override
    StreamChannel acceptOne() throws IOException {
        TcpStream stream = listener.accept();
        if (stream == null) {
            return null;
        }
        if (settings().tcpNoDelay()) {
            try {
                stream.setNodelay(true);
            } catch (IOException e) {
                stream.close();
                throw e;
            }
        }
        return new SocketStreamChannel(stream);
    }

    @Override
    void closeListener() throws IOException {
        listener.close();
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
            return new TcpServer(name, settings, requireFactory("TcpServer"));
        }
    }
}
