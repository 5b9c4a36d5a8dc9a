package io.verypoll.spring.boot.server;

import io.verypoll.net.SocketListener;
import io.verypoll.net.SocketStream;
import io.verypoll.net.TcpListener;
import io.verypoll.net.TcpStream;

import org.springframework.boot.ssl.SslBundles;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
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

    /**
     * For accept=reuseport. A port asked for by number is first bound plainly, and let go: SO_REUSEPORT
     * would let these listeners join those of another process of the same user on that port (another
     * instance of this application, say) where a plain bind fails with "address in use", as it should.
     * The others then bind to the port the first one got, so port 0 gives one port for all.
     */
    @Override
    List<SocketListener<?>> bindReusePortListeners(int count) throws IOException {
        ServerSettings s = settings();
        return bindPort(port -> {
            InetSocketAddress address = new InetSocketAddress(s.address(), port);
            if (port != 0) {
                probe(address);
            }
            List<SocketListener<?>> listeners = new ArrayList<>(count);
            try {
                TcpListener first = TcpListener.bindReusePort(address, s.backlog());
                listeners.add(first);
                SocketAddress shared = first.localAddress();
                while (listeners.size() < count) {
                    listeners.add(TcpListener.bindReusePort(shared, s.backlog()));
                }
            } catch (IOException | RuntimeException e) {
                for (SocketListener<?> listener : listeners) {
                    listener.close();
                }
                throw e;
            }
            return listeners;
        });
    }

    /**
     * Binds {@code address} without listening and without SO_REUSEPORT: fails with a BindException if
     * anything listens there. Not listening, it takes no connection of its own in passing.
     */
    private static void probe(InetSocketAddress address) throws IOException {
        try (SocketChannel probe = SocketChannel.open()) {
            // As the listeners have it: a connection of an earlier run in TIME_WAIT does not count.
            probe.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            probe.bind(address);
        }
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

        /** One listener handing connections to the loops in turn, or one listener per loop (SO_REUSEPORT). */
        public Builder accept(AcceptMode mode) {
            return set(ServerSetting.ACCEPT, mode);
        }

        public TcpServer build() {
            return new TcpServer(name, settings, requireFactory("TcpServer"), offloadExecutor, sslBundles);
        }
    }
}
