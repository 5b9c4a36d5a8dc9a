package io.verypoll.spring.boot.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The settings of one {@link StreamClient}: its own {@link ClientSetting}s (where to connect, the
 * connect timeout, the link and its reconnect policy) and the connection settings it shares with
 * servers, as a {@link ServerSettings} of which only {@link #CONNECTION_SETTINGS} count. Immutable.
 *
 * <pre>{@code
 * ClientSettings s = ClientSettings.defaults().with(ClientSetting.PORT, 7007)
 *         .with(ServerSetting.IDLE_TIMEOUT, Duration.ofMinutes(5));
 * }</pre>
 */
public final class ClientSettings {

    /**
     * The server settings that mean something to an outbound connection: everything about a connection
     * once it is open, and TLS (the bundle, ALPN, the handshake timeout). The listener's settings
     * (address, port, backlog, max-connections, accept backoff), client-auth and the PROXY protocol do
     * not apply.
     */
    public static final List<ServerSetting<?>> CONNECTION_SETTINGS = List.of(ServerSetting.IDLE_TIMEOUT,
            ServerSetting.LINGER_TIMEOUT, ServerSetting.HIGH_WATERMARK, ServerSetting.LOW_WATERMARK,
            ServerSetting.MAX_PENDING_BYTES, ServerSetting.TCP_NO_DELAY, ServerSetting.MAX_FRAME_LENGTH,
            ServerSetting.FRAME_TIMEOUT, ServerSetting.MAX_BUFFERED_INPUT, ServerSetting.MAX_IN_FLIGHT,
            ServerSetting.SSL_BUNDLE, ServerSetting.SSL_APPLICATION_PROTOCOLS, ServerSetting.HANDSHAKE_TIMEOUT);

    private static final ClientSettings DEFAULTS = new ClientSettings(
            ClientSetting.all().stream().map(ClientSetting::defaultValue).toArray(), ServerSettings.defaults());

    private final Object[] values;
    private final ServerSettings connection;

    private ClientSettings(Object[] values, ServerSettings connection) {
        this.values = values;
        this.connection = connection;
    }

    public static ClientSettings defaults() {
        return DEFAULTS;
    }

    /** True when {@code setting} is one a client takes (for {@code kind}). */
    public static boolean appliesTo(ServerSetting<?> setting, ServerKind kind) {
        return CONNECTION_SETTINGS.contains(setting) && setting.appliesTo(kind);
    }

    @SuppressWarnings("unchecked")
    public <T> T get(ClientSetting<T> setting) {
        return (T) values[setting.index];
    }

    public <T> T get(ServerSetting<T> setting) {
        return connection.get(setting);
    }

    /** The connection settings, as the connections read them. */
    public ServerSettings connection() {
        return connection;
    }

    public <T> ClientSettings with(ClientSetting<T> setting, T value) {
        if (!setting.type().isInstance(value)) {
            throw new IllegalArgumentException(setting.name() + " takes a " + setting.type().getSimpleName() + ", not " + value);
        }
        Object[] changed = values.clone();
        changed[setting.index] = value;
        return new ClientSettings(changed, connection);
    }

    public <T> ClientSettings with(ServerSetting<T> setting, T value) {
        if (!CONNECTION_SETTINGS.contains(setting)) {
            throw new IllegalArgumentException(setting.name() + " is not a setting of a client");
        }
        return new ClientSettings(values, connection.with(setting, value));
    }

    /** A copy with every setting of {@code changes} (client or connection settings) set to its value there. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public ClientSettings with(Map<?, ?> changes) {
        ClientSettings result = this;
        for (Map.Entry<?, ?> change : changes.entrySet()) {
            if (change.getKey() instanceof ClientSetting c) {
                result = result.with(c, change.getValue());
            } else if (change.getKey() instanceof ServerSetting s) {
                result = result.with(s, change.getValue());
            } else {
                throw new IllegalArgumentException("not a setting: " + change.getKey());
            }
        }
        return result;
    }

    /** What is wrong for a client of {@code kind} named {@code client}; empty when it can start. */
    public List<String> problems(String client, ServerKind kind) {
        List<String> problems = new ArrayList<>();
        for (ClientSetting<?> setting : ClientSetting.all()) {
            if (setting.appliesTo(kind)) {
                String problem = setting.problem(this);
                if (problem != null) {
                    problems.add("verypoll client '" + client + "': " + setting.name() + " " + problem);
                }
            }
        }
        for (ServerSetting<?> setting : CONNECTION_SETTINGS) {
            if (setting.appliesTo(kind)) {
                String problem = setting.problem(connection);
                if (problem != null) {
                    problems.add("verypoll client '" + client + "': " + setting.name() + " " + problem);
                }
            }
        }
        return problems;
    }

    /** The settings that apply to a client of {@code kind}, by property name: the endpoint shows them. */
    public Map<String, Object> asMap(ServerKind kind) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (ClientSetting<?> setting : ClientSetting.all()) {
            if (setting.appliesTo(kind)) {
                map.put(setting.name(), get(setting));
            }
        }
        for (ServerSetting<?> setting : CONNECTION_SETTINGS) {
            if (setting.appliesTo(kind)) {
                map.put(setting.name(), connection.get(setting));
            }
        }
        return map;
    }

    public String host() {
        return get(ClientSetting.HOST);
    }

    public int port() {
        return get(ClientSetting.PORT);
    }

    public String path() {
        return get(ClientSetting.PATH);
    }

    public Duration connectTimeout() {
        return get(ClientSetting.CONNECT_TIMEOUT);
    }

    /** The name TLS checks the server's certificate against and sends as SNI: ssl.server-name, else the host. */
    public String tlsServerName() {
        String name = get(ClientSetting.SSL_SERVER_NAME);
        return name.isBlank() ? get(ClientSetting.HOST) : name;
    }

    public boolean link() {
        return get(ClientSetting.LINK);
    }

    /** The link's reconnect policy; {@link Backoff#NONE} when reconnecting is off. */
    public Backoff reconnect() {
        if (!get(ClientSetting.RECONNECT)) {
            return Backoff.NONE;
        }
        return new Backoff(get(ClientSetting.RECONNECT_INITIAL_DELAY), get(ClientSetting.RECONNECT_MAX_DELAY),
                get(ClientSetting.RECONNECT_JITTER), get(ClientSetting.RECONNECT_RESET_AFTER));
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ClientSettings that && Arrays.equals(values, that.values)
                && connection.equals(that.connection);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(values), connection);
    }

    @Override
    public String toString() {
        return "ClientSettings" + asMap(ServerKind.TCP);
    }
}
