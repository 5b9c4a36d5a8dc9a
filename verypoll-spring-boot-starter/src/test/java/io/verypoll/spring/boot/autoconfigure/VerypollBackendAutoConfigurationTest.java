package io.verypoll.spring.boot.autoconfigure;

import io.verypoll.Poll;
import io.verypoll.spring.boot.actuate.VerypollEndpoint;
import io.verypoll.spring.boot.actuate.VerypollHealthIndicator;
import io.verypoll.spring.boot.context.VerypollBackendSelector;
import io.verypoll.spring.boot.server.TcpServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code verypoll.backend} in one JVM (this suite's, whose backend is chosen once): the value in use
 * is accepted and reported by the endpoint and health, {@code auto} takes it, the other backend fails
 * the startup with both named and where the value came from, a bad value names the property. A fresh
 * JVM choosing epoll through the property is demo-app's DemoOnEpollTest.
 */
@Timeout(60)
class VerypollBackendAutoConfigurationTest {

    private static String inUse;
    private static String other;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withPropertyValues("verypoll.loops=1", "verypoll.shutdown-timeout=0s",
                    "management.endpoints.web.exposure.include=verypoll")
            .withConfiguration(AutoConfigurations.of(VerypollBackendAutoConfiguration.class, VerypollAutoConfiguration.class,
                    VerypollHealthContributorAutoConfiguration.class, VerypollEndpointAutoConfiguration.class))
            .withBean("echo", TcpServer.class, () -> TcpServer.builder().port(0).handler((c, data) -> c.write(data)).build());

    @BeforeAll
    static void theJvmHasItsBackend() {
        inUse = Poll.backend(); // nio in this suite unless -Dverypoll.backend says otherwise
        other = inUse.equals("nio") ? "epoll" : "nio";
    }

    @Test
    void theBackendInUseIsAcceptedAndReported() {
        runner.withPropertyValues("verypoll.backend=" + inUse).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(VerypollEndpoint.class).report().backend()).isEqualTo(inUse);
            var health = context.getBean(VerypollHealthIndicator.class).health();
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsEntry("backend", inUse);
            assertThat(context.getBean(VerypollProperties.class).getBackend())
                    .isEqualTo(VerypollBackendSelector.Backend.valueOf(inUse.toUpperCase()));
            echoes(context.getBean(TcpServer.class).port());
        });
    }

    @Test
    void unsetLeavesTheCoresChoiceAndIsReportedToo() {
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(VerypollProperties.class).getBackend()).isNull();
            assertThat(context.getBean(VerypollEndpoint.class).report().backend()).isEqualTo(inUse);
        });
    }

    @Test
    void autoTakesTheBackendInUse() {
        runner.withPropertyValues("verypoll.backend=auto").run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(VerypollEndpoint.class).report().backend()).isEqualTo(inUse);
            echoes(context.getBean(TcpServer.class).port());
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class MadeFirst {
        static volatile boolean made;

        @Bean
        static Object madeFirst() {
            made = true;
            return new Object();
        }
    }

    @Test
    void theOtherBackendFailsTheStartupBeforeAnyBeanNamingBothAndTheOrigin() {
        MadeFirst.made = false;
        runner.withPropertyValues("verypoll.backend=" + other).withUserConfiguration(MadeFirst.class).run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("verypoll.backend=" + other + " cannot be applied: this JVM already uses the "
                            + inUse + " backend")
                    .hasMessageContaining("; the value came from \"verypoll.backend\" from property source");
            assertThat(MadeFirst.made).as("a bean was made before the backend was applied").isFalse();
        });
        assertThat(Poll.backend()).isEqualTo(inUse);
    }

    @Test
    void aValueThatIsNoBackendNamesTheProperty() {
        runner.withPropertyValues("verypoll.backend=kqueue").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).isInstanceOf(BindException.class)
                    .hasMessageContaining("verypoll.backend");
        });
    }

    @Test
    void theMetadataDescribesTheProperty() throws IOException {
        String json;
        try (InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            assertThat(in).as("generated metadata").isNotNull();
            json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(json).contains("\"name\": \"verypoll.backend\"")
                .contains("\"type\": \"io.verypoll.spring.boot.context.VerypollBackendSelector$Backend\"")
                .contains("Backend of verypoll-core for this JVM");
    }

    private static void echoes(int port) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
            assertThat(socket.getInputStream().readNBytes(4)).isEqualTo("ping".getBytes(StandardCharsets.US_ASCII));
        }
    }
}
