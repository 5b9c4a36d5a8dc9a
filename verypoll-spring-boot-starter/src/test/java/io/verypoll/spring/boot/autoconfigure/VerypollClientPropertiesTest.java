package io.verypoll.spring.boot.autoconfigure;

import io.verypoll.spring.boot.server.ClientSetting;
import io.verypoll.spring.boot.server.ServerSetting;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code verypoll.clients.<name>.*} from property files and environment variables, and the keys that fit
 * nothing, as {@link VerypollServerPropertiesTest} checks the servers'.
 */
@Timeout(30)
class VerypollClientPropertiesTest {

    @Test
    void onlyWhatIsSetIsBoundAndAKeyNamingNoClientIsReported() {
        var bound = properties(Map.of("verypoll.clients.backend.port", "7007",
                "verypoll.clients.audit.high-watermark", "16KB", "verypoll.clients.ghost.port", "1"));
        assertThat(bound.forClient("backend")).containsExactly(Map.entry(ClientSetting.PORT, 7007));
        assertThat(bound.forClient("audit")).containsExactly(Map.entry(ServerSetting.HIGH_WATERMARK, 16L * 1024));
        assertThat(bound.forClient("other")).isEmpty();
        assertThat(bound.problems(List.of("backend", "audit")))
                .containsExactly("verypoll.clients.ghost names no client; the clients are [backend, audit]");
    }

    @Test
    void relaxedNamesBindAsForAnyProperty() {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(new MapPropertySource("application", Map.of(
                "verypoll.clients.auditLink.connectTimeout", "250ms",
                "verypoll.clients.backend.low-watermark", "4KB")));
        environment.getPropertySources().addLast(new SystemEnvironmentPropertySource(
                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, Map.of(
                        "VERYPOLL_CLIENTS_AUDIT_LINK_PORT", "7007",
                        "VERYPOLL_CLIENTS_BACKEND_TCPNODELAY", "false",
                        "VERYPOLL_CLIENTS_BACKEND_SSL_BUNDLE", "web",
                        "VERYPOLL_CLIENTS_BACKEND_RECONNECT_MAXDELAY", "2s",
                        "VERYPOLL_CLIENTS_BACKEND_LOWWATERMARK", "1KB")));
        var bound = new VerypollClientProperties();
        bound.setEnvironment(environment);
        assertThat(bound.forClient("auditLink")).containsOnly(Map.entry(ClientSetting.PORT, 7007),
                Map.entry(ClientSetting.CONNECT_TIMEOUT, Duration.ofMillis(250)));
        // The application's value wins over the environment variable, as for any property.
        assertThat(bound.forClient("backend")).containsOnly(Map.entry(ServerSetting.TCP_NO_DELAY, false),
                Map.entry(ServerSetting.LOW_WATERMARK, 4L * 1024), Map.entry(ServerSetting.SSL_BUNDLE, "web"),
                Map.entry(ClientSetting.RECONNECT_MAX_DELAY, Duration.ofSeconds(2)));
        assertThat(bound.problems(List.of("auditLink", "backend"))).isEmpty();
    }

    @Test
    void anEnvironmentVariableThatFitsNoClientSettingIsReportedOnce() {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addLast(new SystemEnvironmentPropertySource(
                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, Map.of(
                        "VERYPOLL_CLIENTS_AUDIT_LINK_PROT", "7007",
                        "VERYPOLL_CLIENTS_AUDIT_LINK_PORT", "7007",
                        "VERYPOLL_SERVERS_ECHO_PORT", "7")));
        var bound = new VerypollClientProperties();
        bound.setEnvironment(environment);
        assertThat(bound.problems(List.of("audit-link"))).singleElement().asString()
                .startsWith("environment variable VERYPOLL_CLIENTS_AUDIT_LINK_PROT fits no client setting;"
                        + " the clients are [audit-link] and the settings [host, port, path,");
    }

    @Test
    void aDefaultsVariableMustNameAClientSetting() {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addLast(new SystemEnvironmentPropertySource(
                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, Map.of(
                        "VERYPOLL_CLIENT_DEFAULTS_CONNECT_TIMEOUT", "3s",
                        "VERYPOLL_CLIENT_DEFAULTS_CONECT_TIMEOUT", "3s")));
        var bound = new VerypollClientProperties();
        bound.setEnvironment(environment);
        assertThat(bound.defaults()).containsExactly(Map.entry(ClientSetting.CONNECT_TIMEOUT, Duration.ofSeconds(3)));
        assertThat(bound.problems(List.of("backend"))).singleElement().asString()
                .startsWith("environment variable VERYPOLL_CLIENT_DEFAULTS_CONECT_TIMEOUT is not a client setting;"
                        + " the settings are [host, port,");
    }

    private static VerypollClientProperties properties(Map<String, Object> properties) {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(new MapPropertySource("test", properties));
        VerypollClientProperties bound = new VerypollClientProperties();
        bound.setEnvironment(environment);
        return bound;
    }
}
