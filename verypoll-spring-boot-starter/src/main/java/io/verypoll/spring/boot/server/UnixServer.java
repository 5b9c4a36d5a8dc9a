package io.verypoll.spring.boot.server;

import io.verypoll.net.SocketListener;
import io.verypoll.net.UnixListener;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.ssl.SslBundles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executor;

/**
 * A Unix-domain stream server on a socket file. The file is removed when the server stops (the JDK
 * leaves it behind, and a stale file makes the next bind fail).
 */
public final class UnixServer extends StreamServer {

    private static final Log log = LogFactory.getLog(UnixServer.class);

    private Path boundPath;

    private UnixServer(String name, ServerSettings settings, ConnectionHandlerFactory factory, Executor offloadExecutor,
                      SslBundles sslBundles) {
        super(name, settings, factory, offloadExecutor, sslBundles);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ServerKind kind() {
        return ServerKind.UNIX;
    }

    /** The socket file, or null when not bound. */
    public Path path() {
        return boundPath;
    }

    @Override
    SocketListener<?> bindListener() throws IOException {
        boundPath = Path.of(settings().path());
        return UnixListener.bind(boundPath);
    }

    @Override
    void closeListener(SocketListener<?> listener) throws IOException {
        try {
            super.closeListener(listener);
        } finally {
            try {
                Files.deleteIfExists(boundPath);
            } catch (IOException e) {
                log.warn("could not remove socket file " + boundPath, e);
            }
        }
    }

    public static final class Builder extends StreamServerBuilder<Builder> {
        private Builder() {
            super(ServerKind.UNIX);
        }

        public Builder path(String socketFile) {
            return set(ServerSetting.PATH, socketFile);
        }

        public Builder path(Path socketFile) {
            return path(socketFile.toString());
        }

        public UnixServer build() {
            return new UnixServer(name, settings, requireFactory("UnixServer"), offloadExecutor, sslBundles);
        }
    }
}
