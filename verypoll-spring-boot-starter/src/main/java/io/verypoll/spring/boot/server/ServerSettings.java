package io.verypoll.spring.boot.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The values of every {@link ServerSetting} for one server. Immutable; {@link #with} returns a changed
 * copy. The values sit in an array indexed by the settings, already in their final types, so a read
 * is an array load: connections read them when they open and on their timers, never per byte.
 */
public final class ServerSettings {

    public static final String LOOPBACK = "127.0.0.1";

    private static final ServerSettings DEFAULTS = new ServerSettings(
            ServerSetting.all().stream().map(ServerSetting::defaultValue).toArray());

    private final Object[] values;

    private ServerSettings(Object[] values) {
        this.values = values;
    }

    /** Every setting at its declared default. */
    public static ServerSettings defaults() {
        return DEFAULTS;
    }

    @SuppressWarnings("unchecked")
    public <T> T get(ServerSetting<T> setting) {
        return (T) values[setting.index];
    }

    /** A copy with {@code setting} set to {@code value}. */
    public <T> ServerSettings with(ServerSetting<T> setting, T value) {
        Object[] changed = values.clone();
        changed[setting.index] = checked(setting, value);
        return new ServerSettings(changed);
    }

    /** A copy with every setting in {@code changes} set to its value there. */
    public ServerSettings with(Map<ServerSetting<?>, ?> changes) {
        Object[] changed = values.clone();
        changes.forEach((setting, value) -> changed[setting.index] = checked(setting, value));
        return new ServerSettings(changed);
    }

    private static Object checked(ServerSetting<?> setting, Object value) {
        if (!setting.type().isInstance(value)) {
            throw new IllegalArgumentException(setting.name() + " takes a " + setting.type().getSimpleName() + ", not " + value);
        }
        return value;
    }

    /** The settings that apply to {@code kind}, by property name, in declaration order. */
    public Map<String, Object> asMap(ServerKind kind) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (ServerSetting<?> setting : ServerSetting.all()) {
            if (setting.appliesTo(kind)) {
                map.put(setting.name(), get(setting));
            }
        }
        return map;
    }

    /**
     * The validator of server settings: every rule that a setting applying to {@code kind} breaks, as
     * messages naming the server and the property. Empty when the server can start.
     */
    public List<String> problems(String server, ServerKind kind) {
        List<String> problems = new ArrayList<>();
        for (ServerSetting<?> setting : ServerSetting.all()) {
            if (setting.appliesTo(kind)) {
                String problem = setting.problem(this);
                if (problem != null) {
                    problems.add("verypoll server '" + server + "': " + setting.name() + " " + problem);
                }
            }
        }
        return problems;
    }

    /** True when the address is a loopback address; a non-loopback bind gets a warning. */
    public boolean isLoopback() {
        try {
            return InetAddress.getByName(address()).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    // Typed shortcuts for the settings the servers and connections read; get(setting) reads any.

    public String address() {
        return get(ServerSetting.ADDRESS);
    }

    public int port() {
        return get(ServerSetting.PORT);
    }

    public String path() {
        return get(ServerSetting.PATH);
    }

    public int backlog() {
        return get(ServerSetting.BACKLOG);
    }

    public int maxConnections() {
        return get(ServerSetting.MAX_CONNECTIONS);
    }

    public Duration idleTimeout() {
        return get(ServerSetting.IDLE_TIMEOUT);
    }

    public Duration lingerTimeout() {
        return get(ServerSetting.LINGER_TIMEOUT);
    }

    /** As an int, the connection buffer's unit; the validator keeps it in range. */
    public int highWatermark() {
        return (int) Math.min(Integer.MAX_VALUE, get(ServerSetting.HIGH_WATERMARK));
    }

    /** As an int, below {@link #highWatermark()} once validated. */
    public int lowWatermark() {
        return (int) Math.min(Integer.MAX_VALUE, get(ServerSetting.LOW_WATERMARK));
    }

    public long maxPendingBytes() {
        return get(ServerSetting.MAX_PENDING_BYTES);
    }

    public boolean tcpNoDelay() {
        return get(ServerSetting.TCP_NO_DELAY);
    }

    public Duration acceptBackoff() {
        return get(ServerSetting.ACCEPT_BACKOFF);
    }

    public Duration acceptBackoffMax() {
        return get(ServerSetting.ACCEPT_BACKOFF_MAX);
    }

    public AcceptMode acceptMode() {
        return get(ServerSetting.ACCEPT);
    }

    /** As an int: the validator keeps it at most {@link ServerSetting#MAX_FRAME_LENGTH_LIMIT}. */
    public int maxFrameLength() {
        return (int) Math.min(ServerSetting.MAX_FRAME_LENGTH_LIMIT, get(ServerSetting.MAX_FRAME_LENGTH));
    }

    public Duration frameTimeout() {
        return get(ServerSetting.FRAME_TIMEOUT);
    }

    public long maxBufferedInput() {
        return get(ServerSetting.MAX_BUFFERED_INPUT);
    }

    public int maxInFlight() {
        return get(ServerSetting.MAX_IN_FLIGHT);
    }

    /** The SSL bundle's name, or null when the server does not use TLS. */
    public String sslBundle() {
        String bundle = get(ServerSetting.SSL_BUNDLE);
        return bundle.isBlank() ? null : bundle.trim();
    }

    public Duration handshakeTimeout() {
        return get(ServerSetting.HANDSHAKE_TIMEOUT);
    }

    public ProxyProtocol proxyProtocol() {
        return get(ServerSetting.PROXY_PROTOCOL);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ServerSettings that && Arrays.equals(values, that.values);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        StringJoiner joiner = new StringJoiner(", ", "ServerSettings{", "}");
        for (ServerSetting<?> setting : ServerSetting.all()) {
            joiner.add(setting.name() + "=" + get(setting));
        }
        return joiner.toString();
    }
}
