package io.verypoll.spring.boot.autoconfigure;

import io.verypoll.spring.boot.context.LocalVerypollPort;
import io.verypoll.spring.boot.context.VerypollServerCustomizer;
import io.verypoll.spring.boot.context.VerypollServerPortInitializer;
import io.verypoll.spring.boot.server.ServerSetting;
import io.verypoll.spring.boot.server.TcpClient;
import io.verypoll.spring.boot.server.TcpServer;
import io.verypoll.spring.boot.server.UdpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Where server settings come from: the bean, customizers, {@code verypoll.server-defaults.*},
 * {@code verypoll.servers.<name>.*} (names matched as Boot matches property names, environment
 * variables included), and what fails at startup.
 */
@Timeout(60)
class ServerConfigurationTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withInitializer(new VerypollServerPortInitializer())
            .withPropertyValues("verypoll.loops=1", "verypoll.shutdown-timeout=0s")
            .withConfiguration(AutoConfigurations.of(VerypollAutoConfiguration.class));

    @Configuration(proxyBeanMethods = false)
    static class Servers {
        @Bean
        TcpServer echo() {
            return TcpServer.builder().port(0).idleTimeout(Duration.ofSeconds(7)).handler((c, data) -> c.write(data)).build();
        }

        @Bean("kv-udp")
        UdpServer kvUdp() {
            return UdpServer.builder().port(0).handler((server, data, sender) -> { }).build();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class SameNameTwice {
        @Bean
        TcpServer first() {
            return TcpServer.builder().name("api").port(0).handler((c, data) -> { }).build();
        }

        @Bean
        TcpServer second() {
            return TcpServer.builder().name("API").port(0).handler((c, data) -> { }).build();
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void codeFirstThenDefaultsThenTheServersOwnProperties() {
        runner.withUserConfiguration(Servers.class)
                .withBean(VerypollServerCustomizer.class, () -> (server, settings) ->
                        settings.with(ServerSetting.IDLE_TIMEOUT, Duration.ofSeconds(9))
                                .with(ServerSetting.MAX_CONNECTIONS, 77))
                .withPropertyValues("verypoll.server-defaults.max-connections=500",
                        "verypoll.server-defaults.backlog=20", "verypoll.servers.echo.backlog=30")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    TcpServer echo = context.getBean(TcpServer.class);
                    assertThat(echo.settings().idleTimeout()).as("customizer over the bean").isEqualTo(Duration.ofSeconds(9));
                    assertThat(echo.settings().maxConnections()).as("defaults over the customizer").isEqualTo(500);
                    assertThat(echo.settings().backlog()).as("the server's own property over the defaults").isEqualTo(30);
                    // A default that does not apply to a kind is simply not used by it.
                    assertThat(context.getBean(UdpServer.class).isRunning()).isTrue();
                });
    }

    @Test
    void oneDefaultPutsEveryServerOnARandomPort() {
        runner.withUserConfiguration(FixedPorts.class).withPropertyValues("verypoll.server-defaults.port=0")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean("a", TcpServer.class).port()).isNotEqualTo(FixedPorts.FIXED).isPositive();
                    assertThat(context.getBean("b", TcpServer.class).port()).isNotEqualTo(FixedPorts.FIXED + 1).isPositive();
                    PortReader reader = context.getAutowireCapableBeanFactory().createBean(PortReader.class);
                    assertThat(reader.a).isEqualTo(context.getBean("a", TcpServer.class).port());
                    assertThat(reader.b).isEqualTo(context.getBean("b", TcpServer.class).port());
                });
    }

    @Configuration(proxyBeanMethods = false)
    static class FixedPorts {
        /** Ports nothing here may bind: the test property must move both servers off them. */
        static final int FIXED = 1;

        @Bean
        TcpServer a() {
            return TcpServer.builder().port(FIXED).handler((c, data) -> { }).build();
        }

        @Bean
        TcpServer b() {
            return TcpServer.builder().port(FIXED + 1).handler((c, data) -> { }).build();
        }
    }

    static class PortReader {
        @LocalVerypollPort("a")
        int a;

        @LocalVerypollPort("B")
        int b;
    }

    @Test
    void anUnknownPortNameFailsListingThePublishedOnes() {
        runner.withUserConfiguration(FixedPorts.class).withPropertyValues("verypoll.server-defaults.port=0")
                .run(context -> {
                    Exception failure = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                            () -> context.getAutowireCapableBeanFactory().createBean(WrongName.class));
                    assertThat(VerypollAutoConfigurationTest.allMessages(failure))
                            .contains("@LocalVerypollPort(\"c\"): no server named 'c' has published a port (yet); published: [a, b]");
                    Exception unnamed = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                            () -> context.getAutowireCapableBeanFactory().createBean(Unnamed.class));
                    assertThat(VerypollAutoConfigurationTest.allMessages(unnamed))
                            .contains("there are 2 servers; name one: @LocalVerypollPort(\"a\")");
                });
    }

    static class WrongName {
        @LocalVerypollPort("c")
        int port;
    }

    static class Unnamed {
        @LocalVerypollPort
        int port;
    }

    @Test
    void serverNamesMatchRelaxedlyInProperties() throws Exception {
        int port = freePort();
        runner.withUserConfiguration(Servers.class).withPropertyValues("verypoll.servers.kvUdp.port=" + port)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(UdpServer.class).port()).isEqualTo(port);
                });
    }

    @Test
    void anEnvironmentVariableAloneReachesADashedServerName() throws Exception {
        int port = freePort();
        runner.withUserConfiguration(Servers.class)
                .withInitializer(context -> context.getEnvironment().getPropertySources().addLast(
                        new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                                Map.of("VERYPOLL_SERVERS_KV_UDP_PORT", String.valueOf(port),
                                        "VERYPOLL_SERVERS_ECHO_MAXCONNECTIONS", "42"))))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(UdpServer.class).port()).isEqualTo(port);
                    assertThat(context.getBean(TcpServer.class).settings().maxConnections()).isEqualTo(42);
                });
    }

    @Test
    void anEnvironmentVariableNamingNoServerFails() {
        runner.withUserConfiguration(Servers.class)
                .withInitializer(context -> context.getEnvironment().getPropertySources().addLast(
                        new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                                Map.of("VERYPOLL_SERVERS_KV_TCP_PORT", "1"))))
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(VerypollAutoConfigurationTest.allMessages(context.getStartupFailure()))
                            .contains("environment variable VERYPOLL_SERVERS_KV_TCP_PORT fits no server setting;"
                                    + " the servers are [echo, kv-udp]");
                });
    }

    @Test
    void twoBeansWithOneServerNameFailNamingBoth() {
        runner.withUserConfiguration(SameNameTwice.class).run(context -> {
            assertThat(context).hasFailed();
            assertThat(VerypollAutoConfigurationTest.allMessages(context.getStartupFailure()))
                    .contains("beans 'first' and 'second' both declare a server named 'API'");
        });
        assertThat(VerypollAutoConfigurationTest.liveVerypollThreads()).isEmpty();
    }

    /** Real environment variables, in a child JVM: what a container sets (a dashed client name too). */
    @Test
    void aRealEnvironmentVariableReachesTheServerInAChildProcess() throws Exception {
        int port = freePort();
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), EnvChild.class.getName());
        builder.environment().put("VERYPOLL_SERVERS_KV_UDP_PORT", String.valueOf(port));
        builder.environment().put("VERYPOLL_SERVER_DEFAULTS_IDLE_TIMEOUT", "3s");
        builder.environment().put("VERYPOLL_CLIENTS_AUDIT_LINK_PORT", "7007");
        builder.redirectErrorStream(true);
        Process child = builder.start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            String result = null;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("RESULT ")) {
                    result = line;
                }
            }
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(result).isEqualTo("RESULT kv-udp=" + port + " echo.idle=PT3S audit-link.port=7007");
        } finally {
            child.destroyForcibly();
        }
    }

    /** The child: starts the servers with its real environment and reports what they got. */
    public static final class EnvChild {
        public static void main(String[] args) {
            try (ConfigurableApplicationContext context = new SpringApplicationBuilder(ChildServers.class)
                    .web(WebApplicationType.NONE).properties("spring.main.banner-mode=off", "verypoll.loops=1",
                            "verypoll.shutdown-timeout=0s", "logging.level.root=warn").run()) {
                System.out.println("RESULT kv-udp=" + context.getBean(UdpServer.class).port()
                        + " echo.idle=" + context.getBean(TcpServer.class).settings().idleTimeout()
                        + " audit-link.port=" + context.getBean(TcpClient.class).settings().port());
            }
            System.exit(0);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(VerypollAutoConfiguration.class)
    static class ChildServers extends Servers {
        /** A client without a link: the variable must reach it, and nothing connects. */
        @Bean("audit-link")
        TcpClient auditLink() {
            return TcpClient.builder().port(7).link(false).handler((c, data) -> { }).build();
        }
    }
}
