package io.verypoll.spring.boot.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** The settings' one home: every declaration complete, one validator, builders that are declarations underneath. */
@Timeout(10)
class ServerSettingsTest {

    /** For each setting, a value its rule rejects, with the words the message must have. */
    private static final Map<ServerSetting<?>, Object[]> BAD = new LinkedHashMap<>();

    static {
        bad(ServerSetting.ADDRESS, " ", "address must be set");
        bad(ServerSetting.PORT, 70000, "port must be between 0 and 65535, was 70000");
        bad(ServerSetting.PATH, "", "path must be set for a Unix-domain server");
        bad(ServerSetting.BACKLOG, 0, "backlog must be at least 1, was 0");
        bad(ServerSetting.MAX_CONNECTIONS, -1, "max-connections must be at least 1, was -1");
        bad(ServerSetting.IDLE_TIMEOUT, Duration.ofSeconds(-1), "idle-timeout must not be negative, was PT-1S");
        bad(ServerSetting.LINGER_TIMEOUT, Duration.ofMillis(-5), "linger-timeout must not be negative, was PT-0.005S");
        bad(ServerSetting.HIGH_WATERMARK, 8L << 20,
                "high-watermark (8388608 bytes) must not exceed max-pending-bytes (4194304 bytes)");
        bad(ServerSetting.LOW_WATERMARK, 64L * 1024,
                "low-watermark (65536 bytes) must be lower than high-watermark (65536 bytes)");
        bad(ServerSetting.MAX_PENDING_BYTES, 0L, "max-pending-bytes must be at least 1, was 0");
        bad(ServerSetting.ACCEPT_BACKOFF, Duration.ZERO, "accept-backoff must be positive, was PT0S");
        bad(ServerSetting.ACCEPT_BACKOFF_MAX, Duration.ofMillis(50),
                "accept-backoff-max (PT0.05S) must not be below accept-backoff (PT0.1S)");
        bad(ServerSetting.MAX_FRAME_LENGTH, 0L, "max-frame-length must be between 1 and 1073741824 bytes, was 0");
        bad(ServerSetting.FRAME_TIMEOUT, Duration.ofSeconds(-1), "frame-timeout must not be negative, was PT-1S");
        bad(ServerSetting.MAX_BUFFERED_INPUT, 1024L,
                "max-buffered-input (1024 bytes) must not be below max-frame-length (65536 bytes)");
        bad(ServerSetting.MAX_IN_FLIGHT, 0, "max-in-flight must be at least 1, was 0");
        bad(ServerSetting.SSL_APPLICATION_PROTOCOLS, "h2,,http/1.1",
                "ssl.application-protocols has an empty protocol name: 'h2,,http/1.1'");
        bad(ServerSetting.HANDSHAKE_TIMEOUT, Duration.ZERO, "handshake-timeout must be positive, was PT0S");
    }

    /** Settings with no value to reject, and a value other than the default for each. */
    private static final Map<ServerSetting<?>, Object> UNCONSTRAINED = Map.of(ServerSetting.TCP_NO_DELAY, false,
            ServerSetting.SSL_BUNDLE, "server", ServerSetting.SSL_CLIENT_AUTH, ClientAuth.NEED,
            ServerSetting.PROXY_PROTOCOL, ProxyProtocol.V2, ServerSetting.ACCEPT, AcceptMode.REUSEPORT);

    private static void bad(ServerSetting<?> setting, Object value, String message) {
        BAD.put(setting, new Object[] {value, message});
    }

    @Test
    void everySettingIsDeclaredCompletely() {
        assertThat(ServerSetting.all()).extracting(ServerSetting::name).doesNotHaveDuplicates()
                .allMatch(name -> name.matches("([a-z]+\\.)?[a-z]+(-[a-z]+)*"), "kebab-case, in a group at most");
        for (ServerSetting<?> setting : ServerSetting.all()) {
            assertThat(setting.defaultValue()).as(setting.name()).isInstanceOf(setting.type());
            assertThat(setting.description()).as(setting.name()).isNotBlank().endsWith(".");
            assertThat(setting.kinds()).as(setting.name()).isNotEmpty();
            assertThat(ServerSettings.defaults().get(setting)).isEqualTo(setting.defaultValue());
        }
        assertThat(ServerSetting.all()).extracting(ServerSetting::name).containsExactly("address", "port", "path",
                "backlog", "max-connections", "idle-timeout", "linger-timeout", "high-watermark", "low-watermark",
                "max-pending-bytes", "tcp-no-delay", "accept-backoff", "accept-backoff-max", "accept", "max-frame-length",
                "frame-timeout", "max-buffered-input", "max-in-flight", "ssl.bundle", "ssl.client-auth",
                "ssl.application-protocols", "handshake-timeout", "proxy-protocol");
    }

    @Test
    void defaultsAreValidForEveryKindExceptTheUnixPathThatTheBeanMustGive() {
        assertThat(ServerSettings.defaults().problems("s", ServerKind.TCP)).isEmpty();
        assertThat(ServerSettings.defaults().problems("s", ServerKind.UDP)).isEmpty();
        assertThat(ServerSettings.defaults().problems("s", ServerKind.UNIX))
                .containsExactly("verypoll server 's': path must be set for a Unix-domain server");
        assertThat(ServerSettings.defaults().with(ServerSetting.PATH, "/tmp/s.sock").problems("s", ServerKind.UNIX)).isEmpty();
    }

    @Test
    void theValidatorRejectsABadValueOfEverySettingNamingServerAndProperty() {
        assertThat(BAD.keySet()).as("a bad value for each constrained setting")
                .containsExactlyInAnyOrderElementsOf(ServerSetting.all().stream()
                        .filter(setting -> !UNCONSTRAINED.containsKey(setting)).toList());
        BAD.forEach((setting, bad) -> {
            ServerKind kind = setting.kinds().iterator().next();
            ServerSettings settings = withRaw(ServerSettings.defaults(), setting, bad[0]);
            assertThat(settings.problems("echo", kind)).as(setting.name())
                    .contains("verypoll server 'echo': " + bad[1]);
        });
    }

    @Test
    void settingsThatDoNotApplyToAKindAreNotChecked() {
        ServerSettings settings = ServerSettings.defaults().with(ServerSetting.BACKLOG, 0).with(ServerSetting.PORT, -1);
        assertThat(settings.problems("u", ServerKind.UNIX))
                .containsExactly("verypoll server 'u': path must be set for a Unix-domain server",
                        "verypoll server 'u': backlog must be at least 1, was 0");
        assertThat(settings.problems("d", ServerKind.UDP)).containsExactly("verypoll server 'd': port must be between 0 and 65535, was -1");
    }

    @Test
    void theNamedBuilderMethodsSetTheirDeclarations() {
        TcpServer tcp = TcpServer.builder().address("127.0.0.2").port(7).backlog(5).maxConnections(6)
                .idleTimeout(Duration.ofSeconds(7)).lingerTimeout(Duration.ofSeconds(8)).watermarks(100, 200)
                .maxPendingBytes(300).tcpNoDelay(false).acceptBackoff(Duration.ofMillis(9), Duration.ofMillis(10))
                .accept(AcceptMode.REUSEPORT).maxFrameLength(400).frameTimeout(Duration.ofSeconds(11)).maxBufferedInput(500).maxInFlight(12)
                .sslBundle("server").clientAuth(ClientAuth.WANT).applicationProtocols("h2", "http/1.1")
                .handshakeTimeout(Duration.ofSeconds(5)).proxyProtocol(ProxyProtocol.V1)
                .handler((connection, data) -> { }).build();
        Map<ServerSetting<?>, Object> tcpValues = new LinkedHashMap<>();
        tcpValues.put(ServerSetting.ADDRESS, "127.0.0.2");
        tcpValues.put(ServerSetting.PORT, 7);
        tcpValues.put(ServerSetting.BACKLOG, 5);
        tcpValues.put(ServerSetting.MAX_CONNECTIONS, 6);
        tcpValues.put(ServerSetting.IDLE_TIMEOUT, Duration.ofSeconds(7));
        tcpValues.put(ServerSetting.LINGER_TIMEOUT, Duration.ofSeconds(8));
        tcpValues.put(ServerSetting.LOW_WATERMARK, 100L);
        tcpValues.put(ServerSetting.HIGH_WATERMARK, 200L);
        tcpValues.put(ServerSetting.MAX_PENDING_BYTES, 300L);
        tcpValues.put(ServerSetting.TCP_NO_DELAY, false);
        tcpValues.put(ServerSetting.ACCEPT_BACKOFF, Duration.ofMillis(9));
        tcpValues.put(ServerSetting.ACCEPT_BACKOFF_MAX, Duration.ofMillis(10));
        tcpValues.put(ServerSetting.ACCEPT, AcceptMode.REUSEPORT);
        tcpValues.put(ServerSetting.MAX_FRAME_LENGTH, 400L);
        tcpValues.put(ServerSetting.FRAME_TIMEOUT, Duration.ofSeconds(11));
        tcpValues.put(ServerSetting.MAX_BUFFERED_INPUT, 500L);
        tcpValues.put(ServerSetting.MAX_IN_FLIGHT, 12);
        tcpValues.put(ServerSetting.SSL_BUNDLE, "server");
        tcpValues.put(ServerSetting.SSL_CLIENT_AUTH, ClientAuth.WANT);
        tcpValues.put(ServerSetting.SSL_APPLICATION_PROTOCOLS, "h2,http/1.1");
        tcpValues.put(ServerSetting.HANDSHAKE_TIMEOUT, Duration.ofSeconds(5));
        tcpValues.put(ServerSetting.PROXY_PROTOCOL, ProxyProtocol.V1);
        assertThat(tcp.settings()).isEqualTo(ServerSettings.defaults().with(tcpValues));
        // Every TCP setting has a named method, and each of them set a value other than its default.
        assertThat(tcpValues.keySet()).containsExactlyInAnyOrderElementsOf(
                ServerSetting.all().stream().filter(setting -> setting.appliesTo(ServerKind.TCP)).toList());
        tcpValues.forEach((setting, value) -> assertThat(value).as(setting.name()).isNotEqualTo(setting.defaultValue()));

        UnixServer unix = UnixServer.builder().path("/tmp/x.sock").handler((connection, data) -> { }).build();
        assertThat(unix.settings()).isEqualTo(ServerSettings.defaults().with(ServerSetting.PATH, "/tmp/x.sock"));
        UdpServer udp = UdpServer.builder().address("::1").port(9).handler((server, data, sender) -> { }).build();
        assertThat(udp.settings()).isEqualTo(ServerSettings.defaults().with(ServerSetting.ADDRESS, "::1")
                .with(ServerSetting.PORT, 9));
    }

    @Test
    void setReachesEverySettingOfTheKindAndNothingElse() {
        for (ServerSetting<?> setting : ServerSetting.all()) {
            Object value = BAD.containsKey(setting) ? BAD.get(setting)[0] : UNCONSTRAINED.get(setting);
            for (ServerKind kind : ServerKind.values()) {
                ServerBuilder<?> builder = switch (kind) {
                    case TCP -> TcpServer.builder();
                    case UDP -> UdpServer.builder();
                    case UNIX -> UnixServer.builder();
                };
                if (setting.appliesTo(kind)) {
                    setRaw(builder, setting, value);
                    assertThat(builder.settings).as(setting + " on " + kind)
                            .isEqualTo(withRaw(ServerSettings.defaults(), setting, value));
                } else {
                    assertThatIllegalArgumentException().isThrownBy(() -> setRaw(builder, setting, value))
                            .withMessage(setting.name() + " does not apply to a " + kind.tag() + " server");
                }
            }
        }
    }

    @Test
    void typedShortcutsReadTheDeclarations() {
        ServerSettings settings = ServerSettings.defaults();
        assertThat(settings.address()).isEqualTo("127.0.0.1");
        assertThat(settings.backlog()).isEqualTo(1024);
        assertThat(settings.maxConnections()).isEqualTo(8192);
        assertThat(settings.idleTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(settings.lingerTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(settings.highWatermark()).isEqualTo(64 * 1024);
        assertThat(settings.lowWatermark()).isEqualTo(32 * 1024);
        assertThat(settings.maxPendingBytes()).isEqualTo(4L * 1024 * 1024);
        assertThat(settings.tcpNoDelay()).isTrue();
        assertThat(settings.acceptBackoff()).isEqualTo(Duration.ofMillis(100));
        assertThat(settings.acceptBackoffMax()).isEqualTo(Duration.ofSeconds(1));
        assertThat(settings.maxFrameLength()).isEqualTo(64 * 1024);
        assertThat(settings.frameTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(settings.maxBufferedInput()).isEqualTo(64L * 1024 * 1024);
        assertThat(settings.maxInFlight()).isEqualTo(16);
        assertThat(settings.acceptMode()).isEqualTo(AcceptMode.HAND_OFF);
        assertThat(settings.asMap(ServerKind.UDP)).containsOnlyKeys("address", "port");
    }

    @Test
    void aValueOfTheWrongTypeOrNoValueIsRefusedNamingTheSetting() {
        assertThatIllegalArgumentException().isThrownBy(() -> ServerSettings.defaults().with(Map.of(ServerSetting.PORT, "7007")))
                .withMessage("port takes a Integer, not 7007");
        assertThatIllegalArgumentException().isThrownBy(() -> TcpServer.builder().address(null))
                .withMessage("address takes a String, not null");
    }

    @SuppressWarnings("unchecked")
    private static <T> ServerSettings withRaw(ServerSettings settings, ServerSetting<T> setting, Object value) {
        return settings.with(setting, (T) value);
    }

    @SuppressWarnings("unchecked")
    private static <T> void setRaw(ServerBuilder<?> builder, ServerSetting<T> setting, Object value) {
        builder.set(setting, (T) value);
    }
}
