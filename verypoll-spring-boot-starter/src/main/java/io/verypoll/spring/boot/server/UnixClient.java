package io.verypoll.spring.boot.server;

import io.verypoll.net.SocketStream;
import io.verypoll.net.UnixStream;

import org.springframework.boot.ssl.SslBundles;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * A Unix-domain stream client, connecting to a socket file:
 *
 * <pre>{@code
 * UnixClient agent = UnixClient.builder().path("/run/agent.sock").handler((connection, data) -> ...).build();
 * }</pre>
 *
 * A missing socket file, or one nobody listens on, fails with {@link CloseReason#CONNECT_REFUSED}.
 */
public final class UnixClient extends StreamClient {

    private UnixClient(String name, ClientSettings settings, ConnectionHandlerFactory factory, Executor executor,
                       SslBundles sslBundles) {
        super(name, settings, factory, executor, sslBundles);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ServerKind kind() {
        return ServerKind.UNIX;
    }

    @Override
    public String target() {
        return settings().path();
    }

    @Override
    SocketAddress unresolvedTarget() {
        return UnixDomainSocketAddress.of(settings().path());
    }

    @Override
    boolean needsResolving(SocketAddress address) {
        return false;
    }

    @Override
    SocketAddress resolve(SocketAddress address) {
        return address;
    }

    /** As for any client, and with TLS verifying the host name, the name to verify: a socket file has none. */
    @Override
    public List<String> problems() {
        List<String> problems = new ArrayList<>(super.problems());
        ClientSettings s = settings();
        if (s.connection().sslBundle() != null && s.get(ClientSetting.SSL_VERIFY_HOSTNAME)
                && s.get(ClientSetting.SSL_SERVER_NAME).isBlank()) {
            problems.add("verypoll client '" + name() + "': ssl.server-name must be set for TLS over a Unix-domain"
                    + " socket (the name the server's certificate carries), or ssl.verify-hostname turned off");
        }
        return problems;
    }

    @Override
    String tlsPeerHost() {
        String name = settings().get(ClientSetting.SSL_SERVER_NAME);
        return name.isBlank() ? null : name;
    }

    @Override
    int tlsPeerPort() {
        return -1;
    }

    @Override
    SocketStream open(SocketAddress address) throws IOException {
        try {
            return UnixStream.connect(((UnixDomainSocketAddress) address).getPath());
        } catch (java.net.SocketException e) {
            // A missing file or nobody listening: the JDK says so at once, as a SocketException.
            if (!(e instanceof java.net.ConnectException)) {
                java.net.ConnectException refused = new java.net.ConnectException(e.getMessage());
                refused.initCause(e);
                throw refused;
            }
            throw e;
        }
    }

    public static final class Builder extends StreamClientBuilder<Builder> {
        private Builder() {
            super(ServerKind.UNIX);
        }

        public Builder path(String socketFile) {
            return set(ClientSetting.PATH, socketFile);
        }

        public Builder path(Path socketFile) {
            return path(socketFile.toString());
        }

        public UnixClient build() {
            return new UnixClient(name, settings, requireFactory("UnixClient"), executor, sslBundles);
        }
    }
}
