package io.verypoll.spring.boot.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One setting of a {@link StreamClient} that a server does not have, declared once: where to connect,
 * the connect timeout, the link and its reconnect policy. Property name under
 * {@code verypoll.clients.<name>.}, type, default, rule, description, the kinds it applies to. The
 * connection settings a client shares with servers (idle timeout, watermarks, frames, ...) stay
 * {@link ServerSetting}s: see {@link ClientSettings#CONNECTION_SETTINGS}.
 *
 * <pre>{@code
 * ClientSettings s = ClientSettings.defaults().with(ClientSetting.PORT, 7007);
 * }</pre>
 */
public final class ClientSetting<T> {

    private static final List<ClientSetting<?>> DECLARED = new ArrayList<>();

    private static final Set<ServerKind> STREAM = Set.of(ServerKind.TCP, ServerKind.UNIX);

    public static final ClientSetting<String> HOST = new ClientSetting<>("host", String.class, ServerSettings.LOOPBACK,
            Set.of(ServerKind.TCP), (host, s) -> host.isBlank() ? "must be set" : null,
            "Host name or IP address to connect to; a name is resolved off the loops at every connect.");

    public static final ClientSetting<Integer> PORT = new ClientSetting<>("port", Integer.class, 0,
            Set.of(ServerKind.TCP), (port, s) -> port < 1 || port > 65535 ? "must be between 1 and 65535, was " + port : null,
            "Port to connect to.");

    public static final ClientSetting<String> PATH = new ClientSetting<>("path", String.class, "",
            Set.of(ServerKind.UNIX), (path, s) -> path.isBlank() ? "must be set for a Unix-domain client" : null,
            "Socket file of a Unix-domain client.");

    public static final ClientSetting<Duration> CONNECT_TIMEOUT = new ClientSetting<>("connect-timeout", Duration.class,
            Duration.ofSeconds(10), STREAM, positive(),
            "A connect not complete within this fails with reason connect-timeout.");

    public static final ClientSetting<Boolean> LINK = new ClientSetting<>("link", Boolean.class, true, STREAM,
            (on, s) -> null,
            "Whether the client keeps one connection open while the application runs (connected at start,"
                    + " reconnected with backoff, closed at stop). Off, it connects only when asked (connect()).");

    public static final ClientSetting<Boolean> RECONNECT = new ClientSetting<>("reconnect.enabled", Boolean.class, true,
            STREAM, (on, s) -> null,
            "Whether the link connects again after its connection closed or a connect failed.");

    public static final ClientSetting<Duration> RECONNECT_INITIAL_DELAY = new ClientSetting<>("reconnect.initial-delay",
            Duration.class, Duration.ofMillis(100), STREAM, positive(),
            "Delay before the first reconnect; each failure in a row doubles it, up to reconnect.max-delay.");

    public static final ClientSetting<Duration> RECONNECT_MAX_DELAY = new ClientSetting<>("reconnect.max-delay",
            Duration.class, Duration.ofSeconds(30), STREAM, (max, s) -> {
                Duration initial = s.get(RECONNECT_INITIAL_DELAY);
                return max.compareTo(initial) < 0 ? "(" + max + ") must not be below reconnect.initial-delay (" + initial + ")" : null;
            },
            "Longest delay between reconnects.");

    public static final ClientSetting<Double> RECONNECT_JITTER = new ClientSetting<>("reconnect.jitter", Double.class,
            0.2, STREAM, (j, s) -> j < 0 || j > 1 ? "must be between 0 and 1, was " + j : null,
            "Fraction of each delay taken off at random (0: none, 1: anywhere between 0 and the delay), so that"
                    + " many clients do not reconnect in step.");

    public static final ClientSetting<Duration> RECONNECT_RESET_AFTER = new ClientSetting<>("reconnect.reset-after",
            Duration.class, Duration.ofSeconds(10), STREAM, notNegative(),
            "A connection that stayed open this long counts as stable: the next reconnect starts from"
                    + " reconnect.initial-delay again.");

    public static final ClientSetting<String> SSL_SERVER_NAME = new ClientSetting<>("ssl.server-name", String.class, "",
            STREAM, (name, s) -> null,
            "TLS: the name the server's certificate must carry and the client sends as SNI; empty: the host (a"
                    + " Unix-domain client has none: set it, or turn ssl.verify-hostname off).");

    public static final ClientSetting<Boolean> SSL_VERIFY_HOSTNAME = new ClientSetting<>("ssl.verify-hostname",
            Boolean.class, true, STREAM, (on, s) -> null,
            "TLS: whether the server's certificate must name the host (or ssl.server-name), as HTTPS checks it."
                    + " Turning it off trusts any certificate the trust store accepts, for any name.");

    private static final List<ClientSetting<?>> ALL = List.copyOf(DECLARED);

    final int index;
    private final String name;
    private final Class<T> type;
    private final T defaultValue;
    private final Set<ServerKind> kinds;
    private final Rule<T> rule;
    private final String description;

    private ClientSetting(String name, Class<T> type, T defaultValue, Set<ServerKind> kinds, Rule<T> rule,
                          String description) {
        this.index = DECLARED.size();
        this.name = name;
        this.type = type;
        this.defaultValue = type.cast(Objects.requireNonNull(defaultValue, name));
        this.kinds = kinds;
        this.rule = rule;
        this.description = description;
        DECLARED.add(this);
    }

    /** A check of one value, which may look at the others; returns what is wrong, or null. */
    @FunctionalInterface
    public interface Rule<T> {
        String problem(T value, ClientSettings settings);
    }

    public static List<ClientSetting<?>> all() {
        return ALL;
    }

    /** The property name: {@code verypoll.clients.<client>.<name>}. */
    public String name() {
        return name;
    }

    public Class<T> type() {
        return type;
    }

    public T defaultValue() {
        return defaultValue;
    }

    public Set<ServerKind> kinds() {
        return kinds;
    }

    public boolean appliesTo(ServerKind kind) {
        return kinds.contains(kind);
    }

    public String description() {
        return description;
    }

    String problem(ClientSettings settings) {
        return rule.problem(settings.get(this), settings);
    }

    @Override
    public String toString() {
        return name;
    }

    private static Rule<Duration> positive() {
        return (value, s) -> value.isNegative() || value.isZero() ? "must be positive, was " + value : null;
    }

    private static Rule<Duration> notNegative() {
        return (value, s) -> value.isNegative() ? "must not be negative, was " + value : null;
    }
}
