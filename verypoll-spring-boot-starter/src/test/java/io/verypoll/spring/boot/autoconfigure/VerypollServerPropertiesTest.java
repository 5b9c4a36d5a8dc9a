package io.verypoll.spring.boot.autoconfigure;

import io.verypoll.spring.boot.server.ServerKind;
import io.verypoll.spring.boot.server.AcceptMode;
import io.verypoll.spring.boot.server.ServerSetting;
import io.verypoll.spring.boot.server.ServerSettings;
import io.verypoll.spring.boot.server.TcpServer;
import io.verypoll.spring.boot.server.UdpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** {@code verypoll.servers.<name>.*} bound through the {@link ServerSetting} declarations. */
@Timeout(30)
class VerypollServerPropertiesTest {

    @Test
    void everySettingBindsFromItsKebabCaseProperty() {
        Map<String, Object> properties = new LinkedHashMap<>();
        Map<ServerSetting<?>, Object> expected = new LinkedHashMap<>();
        for (ServerSetting<?> setting : ServerSetting.all()) {
            Object[] sample = sample(setting);
            properties.put("verypoll.servers.echo." + setting.name(), sample[0]);
            expected.put(setting, sample[1]);
        }
        VerypollServerProperties bound = properties(properties);
        assertThat(bound.forServer("echo")).containsExactlyEntriesOf(expected);
        assertThat(ServerSettings.defaults().with(bound.forServer("echo")))
                .isEqualTo(ServerSettings.defaults().with(expected));
        assertThat(bound.problems(List.of("echo"))).isEmpty();
    }

    @Test
    void onlyWhatIsSetIsBound() {
        var bound = properties(Map.of("verypoll.servers.echo.port", "7007",
                "verypoll.servers.chat.high-watermark", "16KB", "verypoll.servers.ghost.port", "1"));
        assertThat(bound.forServer("echo")).containsExactly(Map.entry(ServerSetting.PORT, 7007));
        assertThat(bound.forServer("chat")).containsExactly(Map.entry(ServerSetting.HIGH_WATERMARK, 16L * 1024));
        assertThat(bound.forServer("other")).isEmpty();
        // A key that names no server is reported, with the servers that exist.
        assertThat(bound.problems(List.of("echo", "chat")))
                .containsExactly("verypoll.servers.ghost names no server; the servers are [echo, chat]");
    }

    @Test
    void relaxedNamesBindAsForAnyProperty() {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(new MapPropertySource("application", Map.of(
                "verypoll.servers.chatServer.maxConnections", "12",
                "verypoll.servers.chatServer.idle-timeout", "250ms",
                "verypoll.servers.echo.low-watermark", "4KB")));
        environment.getPropertySources().addLast(new SystemEnvironmentPropertySource(
                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, Map.of(
                        "VERYPOLL_SERVERS_ECHO_TCPNODELAY", "false",
                        "VERYPOLL_SERVERS_ECHO_SSL_BUNDLE", "web",
                        "VERYPOLL_SERVERS_ECHO_LOWWATERMARK", "1KB")));
        var bound = new VerypollServerProperties();
        bound.setEnvironment(environment);
        assertThat(bound.forServer("chatServer")).containsOnly(Map.entry(ServerSetting.MAX_CONNECTIONS, 12),
                Map.entry(ServerSetting.IDLE_TIMEOUT, Duration.ofMillis(250)));
        // The application's value wins over the environment variable, as for any property.
        assertThat(bound.forServer("echo")).containsOnly(Map.entry(ServerSetting.TCP_NO_DELAY, false),
                Map.entry(ServerSetting.LOW_WATERMARK, 4L * 1024), Map.entry(ServerSetting.SSL_BUNDLE, "web"));
        assertThat(bound.problems(List.of("chatServer", "echo"))).isEmpty();
    }

    @Test
    void aDefaultsVariableMustNameAServerSetting() {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addLast(new SystemEnvironmentPropertySource(
                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, Map.of(
                        "VERYPOLL_SERVER_DEFAULTS_IDLE_TIMEOUT", "3s",
                        "VERYPOLL_SERVER_DEFAULTS_IDLE_TIMOUT", "3s")));
        var bound = new VerypollServerProperties();
        bound.setEnvironment(environment);
        assertThat(bound.defaults()).containsExactly(Map.entry(ServerSetting.IDLE_TIMEOUT, Duration.ofSeconds(3)));
        assertThat(bound.problems(List.of("echo"))).singleElement().asString()
                .startsWith("environment variable VERYPOLL_SERVER_DEFAULTS_IDLE_TIMOUT is not a server setting;"
                        + " the settings are [address, port,");
    }

    @Test
    void theAcceptModeBindsAsItIsWrittenInTheReadme() {
        assertThat(properties(Map.of("verypoll.servers.echo.accept", "hand-off")).forServer("echo"))
                .containsExactly(Map.entry(ServerSetting.ACCEPT, AcceptMode.HAND_OFF));
        assertThat(properties(Map.of("verypoll.servers.echo.accept", "reuseport")).forServer("echo"))
                .containsExactly(Map.entry(ServerSetting.ACCEPT, AcceptMode.REUSEPORT));
        assertThat(properties(Map.of("verypoll.server-defaults.accept", "reuseport")).defaults())
                .containsExactly(Map.entry(ServerSetting.ACCEPT, AcceptMode.REUSEPORT));
        assertThatExceptionOfType(BindException.class)
                .isThrownBy(() -> properties(Map.of("verypoll.servers.echo.accept", "round-robin")).forServer("echo"))
                .withMessageContaining("verypoll.servers.echo.accept");
    }

    @Test
    void aValueThatDoesNotConvertFailsNamingTheProperty() {
        assertThatExceptionOfType(BindException.class)
                .isThrownBy(() -> properties(Map.of("verypoll.servers.echo.port", "seven")).forServer("echo"))
                .withMessageContaining("verypoll.servers.echo.port");
    }

    @Test
    void anInvalidValueIsRejectedByTheValidatorNamingServerAndProperty() {
        var bound = properties(Map.of("verypoll.servers.echo.backlog", "0",
                "verypoll.servers.echo.accept-backoff", "0s"));
        assertThat(ServerSettings.defaults().with(bound.forServer("echo")).problems("echo", ServerKind.TCP)).containsExactly(
                "verypoll server 'echo': backlog must be at least 1, was 0",
                "verypoll server 'echo': accept-backoff must be positive, was PT0S");
    }

    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void aSettingThatDoesNotApplyToTheServerIsAWarning(CapturedOutput output) {
        new ApplicationContextRunner()
                .withPropertyValues("verypoll.loops=1", "verypoll.shutdown-timeout=0s",
                        "verypoll.servers.datagrams.max-connections=5", "verypoll.servers.echo.tcp-no-delay=false")
                .withConfiguration(AutoConfigurations.of(VerypollAutoConfiguration.class))
                .withBean("datagrams", UdpServer.class,
                        () -> UdpServer.builder().port(0).handler((server, data, sender) -> { }).build())
                .withBean("echo", TcpServer.class, () -> TcpServer.builder().port(0).handler((c, data) -> { }).build())
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(TcpServer.class).settings().tcpNoDelay()).isFalse();
                    assertThat(output).contains("verypoll.servers.datagrams.max-connections is set, but a udp server"
                            + " has no max-connections; it is ignored").doesNotContain("servers.echo.tcp-no-delay is set");
                });
    }

    /** A property text for {@code setting} other than its default, and the value it binds to. */
    private static Object[] sample(ServerSetting<?> setting) {
        Object value = setting.defaultValue();
        if (setting.isByteSize()) {
            long bytes = (Long) value * 2;
            return new Object[] {(bytes / 1024) + "KB", bytes};
        }
        if (value instanceof Integer i) {
            return new Object[] {String.valueOf(i + 1), i + 1};
        }
        if (value instanceof Duration d) {
            return new Object[] {(d.toMillis() + 250) + "ms", d.plusMillis(250)};
        }
        if (value instanceof Boolean b) {
            return new Object[] {String.valueOf(!b), !b};
        }
        if (value instanceof String s) {
            return new Object[] {s + "x", s + "x"};
        }
        if (value instanceof Enum<?> e) {
            // The last constant, written in lower case as in a property file.
            Object last = e.getDeclaringClass().getEnumConstants()[e.getDeclaringClass().getEnumConstants().length - 1];
            return new Object[] {((Enum<?>) last).name().toLowerCase(java.util.Locale.ROOT), last};
        }
        throw new AssertionError("no sample for " + setting + " of " + setting.type());
    }

    private static VerypollServerProperties properties(Map<String, Object> properties) {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(new MapPropertySource("test", properties));
        VerypollServerProperties bound = new VerypollServerProperties();
        bound.setEnvironment(environment);
        return bound;
    }
}
