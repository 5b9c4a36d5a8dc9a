package io.verypoll.spring.boot.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One server setting, declared once: its property name (under {@code verypoll.servers.<name>.}), Java
 * type, default, rule, description and the kinds of server it applies to. The builders, the binding
 * of properties, the validator ({@link ServerSettings#problems}) and the Actuator endpoint all work
 * from these declarations, so a new setting is one more constant here (and its test).
 *
 * @param <T> the value's type; byte sizes are {@code Long} ({@link #isByteSize()}: properties write them
 *            as data sizes, "64KB")
 */
public final class ServerSetting<T> {

    /** A check of one value; may look at the other settings. Returns what is wrong, or null. */
    @FunctionalInterface
    public interface Rule<T> {
        String problem(T value, ServerSettings settings);
    }

    // Declared before the constants: each constant adds itself here, and its position is its index.
    private static final List<ServerSetting<?>> DECLARED = new ArrayList<>();

    private static final Set<ServerKind> IP = Collections.unmodifiableSet(EnumSet.of(ServerKind.TCP, ServerKind.UDP));
    private static final Set<ServerKind> STREAM = Collections.unmodifiableSet(EnumSet.of(ServerKind.TCP, ServerKind.UNIX));

    public static final ServerSetting<String> ADDRESS = new ServerSetting<>("address", String.class, false,
            ServerSettings.LOOPBACK, IP, (address, s) -> address.isBlank() ? "must be set" : null,
            "Host or IP address to bind. Anything but loopback logs a warning.");

    public static final ServerSetting<Integer> PORT = new ServerSetting<>("port", Integer.class, false,
            0, IP, between(0, 65535),
            "Port to bind; 0 picks a free port (published as local.verypoll.<name>.port).");

    public static final ServerSetting<String> PATH = new ServerSetting<>("path", String.class, false,
            "", Set.of(ServerKind.UNIX), (path, s) -> path.isBlank() ? "must be set for a Unix-domain server" : null,
            "Socket file of a Unix-domain server.");

    public static final ServerSetting<Integer> BACKLOG = new ServerSetting<>("backlog", Integer.class, false,
            1024, STREAM, atLeast(1),
            "Length of the accept queue asked of the kernel.");

    public static final ServerSetting<Integer> MAX_CONNECTIONS = new ServerSetting<>("max-connections", Integer.class, false,
            8192, STREAM, atLeast(1),
            "Open connections above which new ones are accepted and closed at once (counted as rejected).");

    public static final ServerSetting<Duration> IDLE_TIMEOUT = new ServerSetting<>("idle-timeout", Duration.class, false,
            Duration.ofSeconds(60), STREAM, notNegative(),
            "Close a connection after this long without reads or writes; 0 disables.");

    public static final ServerSetting<Duration> LINGER_TIMEOUT = new ServerSetting<>("linger-timeout", Duration.class, false,
            Duration.ofSeconds(2), STREAM, notNegative(),
            "After a graceful close has sent everything and its end of stream, the connection reads and discards"
                    + " until the peer closes too or has been quiet this long: closing on unread input would reset"
                    + " the connection and lose the last bytes. 0 closes at once.");

    public static final ServerSetting<Long> HIGH_WATERMARK = new ServerSetting<>("high-watermark", Long.class, true,
            64L * 1024, STREAM, (high, s) -> {
                long max = s.get(ServerSetting.MAX_PENDING_BYTES);
                if (high > max) {
                    return "(" + high + " bytes) must not exceed max-pending-bytes (" + max + " bytes)";
                }
                // The connection's buffer counts watermarks in ints.
                return high > Integer.MAX_VALUE ? "must be at most " + Integer.MAX_VALUE + " bytes, was " + high : null;
            },
            "Pending (unsent) bytes above which a connection stops reading.");

    public static final ServerSetting<Long> LOW_WATERMARK = new ServerSetting<>("low-watermark", Long.class, true,
            32L * 1024, STREAM, (low, s) -> {
                long high = s.get(ServerSetting.HIGH_WATERMARK);
                if (low < 0) {
                    return "must not be negative, was " + low;
                }
                return low >= high ? "(" + low + " bytes) must be lower than high-watermark (" + high + " bytes)" : null;
            },
            "Pending bytes at or below which a paused connection reads again.");

    public static final ServerSetting<Long> MAX_PENDING_BYTES = new ServerSetting<>("max-pending-bytes", Long.class, true,
            4L * 1024 * 1024, STREAM, atLeast(1),
            "Bytes a connection holds as copies for a slow reader (what plain writes left unsent), above which it is"
                    + " closed (pending-cap); owned buffers and streamed bodies do not count.");

    public static final ServerSetting<Boolean> TCP_NO_DELAY = new ServerSetting<>("tcp-no-delay", Boolean.class, false,
            true, Set.of(ServerKind.TCP), (on, s) -> null,
            "Whether to disable Nagle's algorithm on accepted TCP connections.");

    public static final ServerSetting<Duration> ACCEPT_BACKOFF = new ServerSetting<>("accept-backoff", Duration.class, false,
            Duration.ofMillis(100), STREAM, positive(),
            "First pause of accepting after an accept error (EMFILE, ...); each further error doubles it, up to"
                    + " accept-backoff-max. A closed connection ends the pause early.");

    public static final ServerSetting<Duration> ACCEPT_BACKOFF_MAX = new ServerSetting<>("accept-backoff-max", Duration.class, false,
            Duration.ofSeconds(1), STREAM, (max, s) -> {
                Duration initial = s.get(ServerSetting.ACCEPT_BACKOFF);
                return max.compareTo(initial) < 0 ? "(" + max + ") must not be below accept-backoff (" + initial + ")" : null;
            },
            "Longest pause of accepting after repeated accept errors.");

    public static final ServerSetting<AcceptMode> ACCEPT = new ServerSetting<>("accept", AcceptMode.class, false,
            AcceptMode.HAND_OFF, Set.of(ServerKind.TCP), (mode, s) -> null,
            "How connections reach the loops: hand-off (one listener on one loop hands each connection to the next"
                    + " loop in turn) or reuseport (one listener per loop on the same port with SO_REUSEPORT, Linux;"
                    + " each connection stays on the loop that accepted it). With reuseport, a second process of the"
                    + " same user that also sets SO_REUSEPORT on the port is not refused: the kernel splits the"
                    + " connections between the two.");

    /** Largest max-frame-length: a frame is held in one heap array at most, with room for its framing. */
    static final long MAX_FRAME_LENGTH_LIMIT = 1L << 30;

    public static final ServerSetting<Long> MAX_FRAME_LENGTH = new ServerSetting<>("max-frame-length", Long.class, true,
            64L * 1024, STREAM, (max, s) -> max < 1 || max > MAX_FRAME_LENGTH_LIMIT
                    ? "must be between 1 and " + MAX_FRAME_LENGTH_LIMIT + " bytes, was " + max : null,
            "Servers with a decoder: the longest frame content taken; a longer frame closes the connection"
                    + " (frame-too-long) after the handler's onFrameTooLong. A decoder's own lower limit fails first.");

    public static final ServerSetting<Duration> FRAME_TIMEOUT = new ServerSetting<>("frame-timeout", Duration.class, false,
            Duration.ofSeconds(30), STREAM, notNegative(),
            "Servers with a decoder: a frame whose first bytes arrived must be complete within this, or the"
                    + " connection closes (frame-timeout); 0 disables.");

    public static final ServerSetting<Long> MAX_BUFFERED_INPUT = new ServerSetting<>("max-buffered-input", Long.class, true,
            64L * 1024 * 1024, STREAM, (cap, s) -> {
                long frame = s.get(ServerSetting.MAX_FRAME_LENGTH);
                return cap < frame ? "(" + cap + " bytes) must not be below max-frame-length (" + frame + " bytes)" : null;
            },
            "Servers with a decoder: input held for incomplete frames (and for frames kept while reading is paused)"
                    + " over all the server's connections; a connection that would take it higher is closed (input-cap).");

    public static final ServerSetting<Integer> MAX_IN_FLIGHT = new ServerSetting<>("max-in-flight", Integer.class, false,
            16, STREAM, atLeast(1),
            "Work a connection has offloaded (Connection.offload) and not yet replied, at most: at the bound the"
                    + " connection stops reading until a reply goes out, and work offloaded beyond it starts only then.");

    public static final ServerSetting<String> SSL_BUNDLE = new ServerSetting<>("ssl.bundle", String.class, false,
            "", STREAM, (bundle, s) -> null,
            "Name of the Spring Boot SSL bundle (spring.ssl.bundle.*) that puts TLS on the connections, as"
                    + " server.ssl.bundle does for the web server; empty: no TLS. A server presents the bundle's key"
                    + " store; a client trusts the servers its trust store accepts (and presents its key store, if"
                    + " any). The bundle's protocols and ciphers apply (else TLS 1.3 and 1.2 and the JDK's ciphers);"
                    + " with reload-on-update, new connections use the new material.");

    public static final ServerSetting<ClientAuth> SSL_CLIENT_AUTH = new ServerSetting<>("ssl.client-auth",
            ClientAuth.class, false, ClientAuth.NONE, STREAM, (auth, s) -> null,
            "TLS servers: whether clients must present a certificate the bundle's trust store accepts: none, want"
                    + " or need.");

    public static final ServerSetting<String> SSL_APPLICATION_PROTOCOLS = new ServerSetting<>(
            "ssl.application-protocols", String.class, false, "", STREAM, (protocols, s) -> {
                for (String protocol : protocols.split(",", -1)) {
                    if (protocol.isBlank() && !protocols.isBlank()) {
                        return "has an empty protocol name: '" + protocols + "'";
                    }
                }
                return null;
            },
            "TLS: ALPN protocols offered, comma-separated, most preferred first (h2,http/1.1); empty: no"
                    + " ALPN. The one agreed is Connection.applicationProtocol().");

    public static final ServerSetting<Duration> HANDSHAKE_TIMEOUT = new ServerSetting<>("handshake-timeout",
            Duration.class, false, Duration.ofSeconds(10), STREAM, positive(),
            "TLS and the PROXY protocol: the header and the TLS handshake must be complete within this after"
                    + " accept (or connect), else the connection closes (proxy-protocol-timeout,"
                    + " tls-handshake-timeout).");

    public static final ServerSetting<ProxyProtocol> PROXY_PROTOCOL = new ServerSetting<>("proxy-protocol",
            ProxyProtocol.class, false, ProxyProtocol.OFF, STREAM, (version, s) -> null,
            "Whether every connection starts with a PROXY protocol header (behind HAProxy or a network load"
                    + " balancer): off, v1, v2 or any. The header comes before TLS; the connection's remote address is"
                    + " the client it names; a missing or malformed header closes it (proxy-protocol-error).");

    private static final List<ServerSetting<?>> ALL = List.copyOf(DECLARED);

    final int index;
    private final String name;
    private final Class<T> type;
    private final boolean byteSize;
    private final T defaultValue;
    private final Set<ServerKind> kinds;
    private final Rule<T> rule;
    private final String description;

    private ServerSetting(String name, Class<T> type, boolean byteSize, T defaultValue, Set<ServerKind> kinds,
                          Rule<T> rule, String description) {
        this.index = DECLARED.size();
        this.name = name;
        this.type = type;
        this.byteSize = byteSize;
        this.defaultValue = type.cast(Objects.requireNonNull(defaultValue, name));
        this.kinds = kinds;
        this.rule = rule;
        this.description = description;
        DECLARED.add(this);
    }

    /** Every setting, in declaration order. */
    public static List<ServerSetting<?>> all() {
        return ALL;
    }

    /** The property name, kebab-case: {@code verypoll.servers.<server>.<name>}. */
    public String name() {
        return name;
    }

    public Class<T> type() {
        return type;
    }

    /** A number of bytes, which properties write as a data size ("64KB"). */
    public boolean isByteSize() {
        return byteSize;
    }

    public T defaultValue() {
        return defaultValue;
    }

    /** The kinds of server this setting means something to; the others ignore it. */
    public Set<ServerKind> kinds() {
        return kinds;
    }

    public boolean appliesTo(ServerKind kind) {
        return kinds.contains(kind);
    }

    public String description() {
        return description;
    }

    /** What is wrong with this setting's value in {@code settings}, or null. */
    String problem(ServerSettings settings) {
        return rule.problem(settings.get(this), settings);
    }

    @Override
    public String toString() {
        return name;
    }

    private static <N extends Number> Rule<N> atLeast(long min) {
        return (value, s) -> value.longValue() < min ? "must be at least " + min + ", was " + value : null;
    }

    private static Rule<Integer> between(int min, int max) {
        return (value, s) -> value < min || value > max ? "must be between " + min + " and " + max + ", was " + value : null;
    }

    private static Rule<Duration> notNegative() {
        return (value, s) -> value.isNegative() ? "must not be negative, was " + value : null;
    }

    private static Rule<Duration> positive() {
        return (value, s) -> value.isNegative() || value.isZero() ? "must be positive, was " + value : null;
    }
}
