package io.verypoll.spring.boot.server;

import io.verypoll.Source;
import io.verypoll.net.UnixListener;
import io.verypoll.net.UnixStream;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A Unix-domain stream server on a socket file. The file is removed when the server stops (the JDK
 * leaves it behind, and a stale file makes the next bind fail).
 */
public final class UnixServer extends StreamServer {

    private static final Log log = LogFactory.getLog(UnixServer.class);

    private UnixListener listener;
    private Path boundPath;

    private UnixServer(String name, ServerSettings settings, ConnectionHandlerFactory factory) {
        super(name, settings, factory);
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
    Source openListener() throws IOException {
        boundPath = Path.of(settings().path());
        listener = UnixListener.bind(boundPath);
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
        UnixStream stream = listener.accept();
        return stream == null ? null : new SocketStreamChannel(stream);
    }

    @Override
    void closeListener() throws IOException {
        try {
            listener.close();
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
            return new UnixServer(name, settings, requireFactory("UnixServer"));
        }
    }
}
