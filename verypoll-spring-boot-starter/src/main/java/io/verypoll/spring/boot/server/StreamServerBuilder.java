package io.verypoll.spring.boot.server;

import java.time.Duration;
import java.util.Objects;

/** What the TCP and Unix-domain server builders share: the connection handler and the connection limits. */
public abstract class StreamServerBuilder<B extends StreamServerBuilder<B>> extends ServerBuilder<B> {

    ConnectionHandlerFactory factory;

    StreamServerBuilder(ServerKind kind) {
        super(kind);
    }

    /** One handler shared by every connection (it is called on several loop threads). */
    public B handler(ConnectionHandler handler) {
        Objects.requireNonNull(handler, "handler");
        factory = connection -> handler;
        return self();
    }

    /** A new handler per connection, made on the connection's loop. */
    public B handlerFactory(ConnectionHandlerFactory value) {
        factory = value;
        return self();
    }

    public B idleTimeout(Duration value) {
        return set(ServerSetting.IDLE_TIMEOUT, value);
    }

    /** After a graceful close has sent everything, linger until the peer closes or is quiet this long. */
    public B lingerTimeout(Duration value) {
        return set(ServerSetting.LINGER_TIMEOUT, value);
    }

    public B maxConnections(int value) {
        return set(ServerSetting.MAX_CONNECTIONS, value);
    }

    public B backlog(int value) {
        return set(ServerSetting.BACKLOG, value);
    }

    /** Stop reading above {@code high} pending bytes, read again at {@code low}. */
    public B watermarks(int low, int high) {
        return set(ServerSetting.LOW_WATERMARK, (long) low).set(ServerSetting.HIGH_WATERMARK, (long) high);
    }

    /** Close a connection whose pending bytes go over {@code value}. */
    public B maxPendingBytes(long value) {
        return set(ServerSetting.MAX_PENDING_BYTES, value);
    }

    /** Pause accepting for {@code initial} after an accept error, doubling up to {@code max}. */
    public B acceptBackoff(Duration initial, Duration max) {
        return set(ServerSetting.ACCEPT_BACKOFF, initial).set(ServerSetting.ACCEPT_BACKOFF_MAX, max);
    }

    /** The handler factory, or a clear error naming the kind of server being built. */
    ConnectionHandlerFactory requireFactory(String serverKind) {
        if (factory == null) {
            throw new IncompleteServerException("a " + serverKind + " needs a handler or a handlerFactory",
                    "Give its builder a handler: " + serverKind + ".builder().handler((connection, data) -> ...) or"
                            + " .handlerFactory(connection -> new MyHandler(...)).");
        }
        return factory;
    }
}
