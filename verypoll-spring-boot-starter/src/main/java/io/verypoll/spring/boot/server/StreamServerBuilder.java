package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.frame.FrameDecoder;
import io.verypoll.spring.boot.frame.FrameDecoders;

import org.springframework.boot.ssl.SslBundles;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * What the TCP and Unix-domain server builders share: the handler and the connection limits. A
 * server takes either a {@link ConnectionHandler}, which sees each read's bytes, or a
 * {@link #decoder} and a {@link MessageHandler}, which sees one complete frame at a time:
 * <pre>{@code
 * TcpServer.builder().port(7007).handler((connection, data) -> connection.write(data)).build();
 * TcpServer.builder().port(7010).decoder(FrameDecoders.lines(1024))
 *         .messageHandler((connection, line) -> connection.writeFrame(line, FrameEncoders.lines())).build();
 * }</pre>
 */
public abstract class StreamServerBuilder<B extends StreamServerBuilder<B>> extends ServerBuilder<B> {

    ConnectionHandlerFactory factory;
    /** Where {@link Connection#offload} runs work; null: the starter's choice (see {@link StreamServer#offloadExecutor()}). */
    Executor offloadExecutor;
    /** Where ssl.bundle is looked up; null: the starter's (the context's SslBundles). */
    SslBundles sslBundles;
    private Supplier<? extends FrameDecoder> decoders;
    private MessageHandlerFactory messages;

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

    /** Frames the input with one decoder for every connection: a stateless one, such as the built-in decoders. */
    public B decoder(FrameDecoder shared) {
        Objects.requireNonNull(shared, "decoder");
        return decoder(FrameDecoders.shared(shared));
    }

    /** Frames the input with a decoder per connection, for decoders that keep state: {@code decoder(MyDecoder::new)}. */
    public B decoder(Supplier<? extends FrameDecoder> perConnection) {
        decoders = Objects.requireNonNull(perConnection, "decoder");
        return self();
    }

    /** One message handler for every connection of a server with a decoder (it is called on several loop threads). */
    public B messageHandler(MessageHandler handler) {
        Objects.requireNonNull(handler, "messageHandler");
        messages = connection -> handler;
        return self();
    }

    /** A new message handler per connection, made on the connection's loop. */
    public B messageHandlerFactory(MessageHandlerFactory value) {
        messages = Objects.requireNonNull(value, "messageHandlerFactory");
        return self();
    }

    /**
     * The executor that runs work handed to {@link Connection#offload}. Without one the server uses the
     * executor the starter passes (Boot's {@code applicationTaskExecutor}), else a small pool of its own.
     * The server does not shut this executor down.
     */
    public B offloadExecutor(Executor executor) {
        offloadExecutor = Objects.requireNonNull(executor, "executor");
        return self();
    }

    /** Offloaded work not yet replied per connection, at most; see {@link ServerSetting#MAX_IN_FLIGHT}. */
    public B maxInFlight(int value) {
        return set(ServerSetting.MAX_IN_FLIGHT, value);
    }

    /** The longest frame content taken; see {@link ServerSetting#MAX_FRAME_LENGTH}. */
    public B maxFrameLength(int value) {
        return set(ServerSetting.MAX_FRAME_LENGTH, (long) value);
    }

    /** A started frame must complete within this; {@link Duration#ZERO} disables. */
    public B frameTimeout(Duration value) {
        return set(ServerSetting.FRAME_TIMEOUT, value);
    }

    /** Input held for incomplete frames over all connections, above which a connection is closed. */
    public B maxBufferedInput(long value) {
        return set(ServerSetting.MAX_BUFFERED_INPUT, value);
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

    /**
     * Makes this a TLS server with the SSL bundle {@code name} ({@code spring.ssl.bundle.*} in a Boot
     * context); see {@link ServerSetting#SSL_BUNDLE}. The handler opens once the handshake is done and
     * sees the session through {@link Connection#sslSession()}.
     */
    public B sslBundle(String name) {
        return set(ServerSetting.SSL_BUNDLE, Objects.requireNonNull(name, "name"));
    }

    /** Where {@link #sslBundle} is looked up outside a Boot context (in one, the context's bundles are used). */
    public B sslBundles(SslBundles bundles) {
        sslBundles = Objects.requireNonNull(bundles, "bundles");
        return self();
    }

    /** Whether TLS clients must present a certificate; see {@link ServerSetting#SSL_CLIENT_AUTH}. */
    public B clientAuth(ClientAuth value) {
        return set(ServerSetting.SSL_CLIENT_AUTH, Objects.requireNonNull(value, "value"));
    }

    /** ALPN protocols offered, most preferred first; see {@link ServerSetting#SSL_APPLICATION_PROTOCOLS}. */
    public B applicationProtocols(String... protocols) {
        return set(ServerSetting.SSL_APPLICATION_PROTOCOLS, String.join(",", protocols));
    }

    /** The PROXY header and the TLS handshake must be done within this; see {@link ServerSetting#HANDSHAKE_TIMEOUT}. */
    public B handshakeTimeout(Duration value) {
        return set(ServerSetting.HANDSHAKE_TIMEOUT, value);
    }

    /** Every connection starts with a PROXY protocol header of this version; see {@link ServerSetting#PROXY_PROTOCOL}. */
    public B proxyProtocol(ProxyProtocol value) {
        return set(ServerSetting.PROXY_PROTOCOL, Objects.requireNonNull(value, "value"));
    }

    /** Pause accepting for {@code initial} after an accept error, doubling up to {@code max}. */
    public B acceptBackoff(Duration initial, Duration max) {
        return set(ServerSetting.ACCEPT_BACKOFF, initial).set(ServerSetting.ACCEPT_BACKOFF_MAX, max);
    }

    /** The handler factory (the framing path for a decoder), or a clear error naming the kind of server being built. */
    ConnectionHandlerFactory requireFactory(String serverKind) {
        return chooseFactory(serverKind, factory, decoders, messages);
    }

    /** Shared with the client builders: a handler, or a decoder and a message handler, and never both. */
    static ConnectionHandlerFactory chooseFactory(String serverKind, ConnectionHandlerFactory factory,
                                                  Supplier<? extends FrameDecoder> decoders, MessageHandlerFactory messages) {
        if (decoders != null || messages != null) {
            if (factory != null) {
                throw new IllegalStateException("a " + serverKind + " takes a handler, or a decoder with a messageHandler;"
                        + " not both");
            }
            if (decoders == null) {
                throw new IncompleteServerException("a " + serverKind + " with a messageHandler needs a decoder",
                        "Give its builder a decoder: .decoder(FrameDecoders.lines(8192)), or .decoder(MyDecoder::new)"
                                + " for a decoder per connection.");
            }
            if (messages == null) {
                throw new IncompleteServerException("a " + serverKind + " with a decoder needs a messageHandler or a"
                        + " messageHandlerFactory", "Give its builder a message handler: .messageHandler((connection,"
                        + " frame) -> ...) or .messageHandlerFactory(connection -> new MyHandler(...)).");
            }
            return FrameReader.factory(decoders, messages);
        }
        if (factory == null) {
            throw new IncompleteServerException("a " + serverKind + " needs a handler or a handlerFactory",
                    "Give its builder a handler: " + serverKind + ".builder().handler((connection, data) -> ...) or"
                            + " .handlerFactory(connection -> new MyHandler(...)); for frames, .decoder(...) with"
                            + " .messageHandler((connection, frame) -> ...).");
        }
        return factory;
    }
}
