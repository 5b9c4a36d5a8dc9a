package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.frame.FrameDecoder;
import io.verypoll.spring.boot.frame.FrameDecoders;

import org.springframework.boot.ssl.SslBundles;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * What the TCP and Unix-domain client builders share: the handler (or a decoder and a message
 * handler, as for servers), the connect timeout, the link and its reconnect policy, and the connection
 * settings a client shares with servers.
 * <pre>{@code
 * TcpClient.builder().host("127.0.0.1").port(7007).handler((connection, data) -> ...).build();
 * TcpClient.builder().port(7010).decoder(FrameDecoders.lines(1024))
 *         .messageHandler((connection, line) -> ...).reconnect(Duration.ofMillis(100), Duration.ofSeconds(10)).build();
 * }</pre>
 */
public abstract class StreamClientBuilder<B extends StreamClientBuilder<B>> {

    private final ServerKind kind;
    String name;
    ClientSettings settings = ClientSettings.defaults();
    Executor executor;
    /** Where ssl.bundle is looked up; null: the starter's (the context's SslBundles). */
    SslBundles sslBundles;
    private ConnectionHandlerFactory factory;
    private Supplier<? extends FrameDecoder> decoders;
    private MessageHandlerFactory messages;

    StreamClientBuilder(ServerKind kind) {
        this.kind = kind;
    }

    @SuppressWarnings("unchecked")
    final B self() {
        return (B) this;
    }

    /** The client's name; by default the bean name. */
    public B name(String value) {
        name = value;
        return self();
    }

    public B settings(ClientSettings value) {
        settings = Objects.requireNonNull(value, "settings");
        return self();
    }

    public <T> B set(ClientSetting<T> setting, T value) {
        if (!setting.appliesTo(kind)) {
            throw new IllegalArgumentException(setting.name() + " does not apply to a " + kind.tag() + " client");
        }
        settings = settings.with(setting, value);
        return self();
    }

    /** A connection setting shared with servers ({@link ClientSettings#CONNECTION_SETTINGS}). */
    public <T> B set(ServerSetting<T> setting, T value) {
        if (!ClientSettings.appliesTo(setting, kind)) {
            throw new IllegalArgumentException(setting.name() + " does not apply to a " + kind.tag() + " client");
        }
        settings = settings.with(setting, value);
        return self();
    }

    /** One handler for every connection of the client (it may be called on several loop threads). */
    public B handler(ConnectionHandler handler) {
        Objects.requireNonNull(handler, "handler");
        factory = connection -> handler;
        return self();
    }

    /** A new handler per connection, made on the connection's loop. */
    public B handlerFactory(ConnectionHandlerFactory value) {
        factory = Objects.requireNonNull(value, "handlerFactory");
        return self();
    }

    public B decoder(FrameDecoder shared) {
        Objects.requireNonNull(shared, "decoder");
        return decoder(FrameDecoders.shared(shared));
    }

    public B decoder(Supplier<? extends FrameDecoder> perConnection) {
        decoders = Objects.requireNonNull(perConnection, "decoder");
        return self();
    }

    public B messageHandler(MessageHandler handler) {
        Objects.requireNonNull(handler, "messageHandler");
        messages = connection -> handler;
        return self();
    }

    public B messageHandlerFactory(MessageHandlerFactory value) {
        messages = Objects.requireNonNull(value, "messageHandlerFactory");
        return self();
    }

    /**
     * Where host names are resolved and {@link Connection#offload} work runs; by default the starter's
     * ({@code applicationTaskExecutor}), else a small pool of the client's own.
     */
    public B executor(Executor value) {
        executor = Objects.requireNonNull(value, "executor");
        return self();
    }

    public B connectTimeout(Duration value) {
        return set(ClientSetting.CONNECT_TIMEOUT, value);
    }

    /** Whether the client keeps one connection open while it runs (default on); see {@link ClientSetting#LINK}. */
    public B link(boolean on) {
        return set(ClientSetting.LINK, on);
    }

    /** Reconnects the link after {@code initial}, doubling up to {@code max}; see {@link Backoff}. */
    public B reconnect(Duration initial, Duration max) {
        return set(ClientSetting.RECONNECT, true).set(ClientSetting.RECONNECT_INITIAL_DELAY, initial)
                .set(ClientSetting.RECONNECT_MAX_DELAY, max);
    }

    public B reconnectJitter(double fraction) {
        return set(ClientSetting.RECONNECT_JITTER, fraction);
    }

    public B reconnectResetAfter(Duration stable) {
        return set(ClientSetting.RECONNECT_RESET_AFTER, stable);
    }

    /** The link connects once and never again. */
    public B noReconnect() {
        return set(ClientSetting.RECONNECT, false);
    }

    /**
     * Makes every connection TLS with the SSL bundle {@code name} ({@code spring.ssl.bundle.*} in a Boot
     * context): its trust store decides which servers are trusted, its key store (if any) is the client's
     * certificate; see {@link ServerSetting#SSL_BUNDLE}. The handler opens once the handshake is done.
     */
    public B sslBundle(String name) {
        return set(ServerSetting.SSL_BUNDLE, Objects.requireNonNull(name, "name"));
    }

    /** Where {@link #sslBundle} is looked up outside a Boot context (in one, the context's bundles are used). */
    public B sslBundles(SslBundles bundles) {
        sslBundles = Objects.requireNonNull(bundles, "bundles");
        return self();
    }

    /** ALPN protocols offered, most preferred first; see {@link ServerSetting#SSL_APPLICATION_PROTOCOLS}. */
    public B applicationProtocols(String... protocols) {
        return set(ServerSetting.SSL_APPLICATION_PROTOCOLS, String.join(",", protocols));
    }

    /** The TLS handshake must be done within this after the connect; see {@link ServerSetting#HANDSHAKE_TIMEOUT}. */
    public B handshakeTimeout(Duration value) {
        return set(ServerSetting.HANDSHAKE_TIMEOUT, value);
    }

    /** The name the server's certificate must carry, sent as SNI; by default the host. See {@link ClientSetting#SSL_SERVER_NAME}. */
    public B serverName(String name) {
        return set(ClientSetting.SSL_SERVER_NAME, Objects.requireNonNull(name, "name"));
    }

    /** Whether the server's certificate must name the host (default on); see {@link ClientSetting#SSL_VERIFY_HOSTNAME}. */
    public B verifyHostname(boolean on) {
        return set(ClientSetting.SSL_VERIFY_HOSTNAME, on);
    }

    public B idleTimeout(Duration value) {
        return set(ServerSetting.IDLE_TIMEOUT, value);
    }

    public B lingerTimeout(Duration value) {
        return set(ServerSetting.LINGER_TIMEOUT, value);
    }

    public B watermarks(int low, int high) {
        return set(ServerSetting.LOW_WATERMARK, (long) low).set(ServerSetting.HIGH_WATERMARK, (long) high);
    }

    public B maxPendingBytes(long value) {
        return set(ServerSetting.MAX_PENDING_BYTES, value);
    }

    public B maxFrameLength(int value) {
        return set(ServerSetting.MAX_FRAME_LENGTH, (long) value);
    }

    /**
     * The handler factory; a client without a link may have none, when every connection gets its
     * handler from {@link StreamClient#connect(io.verypoll.spring.boot.loop.PollLoop, ConnectionHandlerFactory)}
     * (an upstream of {@link Relay#to}).
     */
    ConnectionHandlerFactory requireFactory(String clientKind) {
        if (factory == null && decoders == null && messages == null && !settings.link()) {
            return connection -> {
                throw new IllegalStateException("this " + clientKind + " has no handler: connect with"
                        + " connect(loop, handlerFactory), or give its builder a handler");
            };
        }
        return StreamServerBuilder.chooseFactory(clientKind, factory, decoders, messages);
    }
}
