package io.verypoll.spring.boot.server;

import java.util.Objects;

/** What the TCP and Unix-domain server builders share: the connection handler. */
public abstract class StreamServerBuilder<B extends StreamServerBuilder<B>> extends ServerBuilder<B> {

    ConnectionHandlerFactory factory;

    StreamServerBuilder() {
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
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

    /** The handler factory, or a clear error naming the kind of server being built. */
    ConnectionHandlerFactory requireFactory(String serverKind) {
        if (factory == null) {
            throw new IllegalStateException("a " + serverKind + " needs a handler or a handlerFactory");
        }
        return factory;
    }
}
