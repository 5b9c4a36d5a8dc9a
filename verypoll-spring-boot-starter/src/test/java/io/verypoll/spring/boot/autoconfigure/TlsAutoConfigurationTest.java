package io.verypoll.spring.boot.autoconfigure;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.verypoll.spring.boot.actuate.VerypollMeterBinder;
import io.verypoll.spring.boot.context.VerypollServerPortInitializer;
import io.verypoll.spring.boot.context.VerypollServerStartedEvent;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.server.CloseReason;
import io.verypoll.spring.boot.server.TcpServer;
import io.verypoll.spring.boot.server.TlsFailure;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.pem.PemSslStoreBundle;
import org.springframework.boot.ssl.pem.PemSslStoreDetails;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import javax.net.ssl.SSLSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code verypoll.servers.<name>.ssl.bundle} naming a {@code spring.ssl.bundle.*} of the context. */
@Timeout(60)
class TlsAutoConfigurationTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withInitializer(new VerypollServerPortInitializer())
            .withPropertyValues("verypoll.loops=1", "verypoll.shutdown-timeout=0s",
                    "spring.ssl.bundle.pem.server.keystore.certificate=classpath:tls/server.crt",
                    "spring.ssl.bundle.pem.server.keystore.private-key=classpath:tls/server.key")
            .withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, VerypollAutoConfiguration.class));

    @Configuration(proxyBeanMethods = false)
    static class EchoServer {
        @Bean
        TcpServer echo() {
            return TcpServer.builder().port(0).handler((c, data) -> c.write(data)).build();
        }
    }

    private static SSLSocket connect(int port) throws Exception {
        SslBundle trust = SslBundle.of(new PemSslStoreBundle(null,
                PemSslStoreDetails.forCertificate("classpath:tls/ca.crt")));
        SSLSocket socket = (SSLSocket) trust.createSslContext().getSocketFactory().createSocket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    @Test
    void aServerPropertyNamingABundleMakesATlsServer() {
        runner.withUserConfiguration(EchoServer.class).withPropertyValues("verypoll.servers.echo.ssl.bundle=server")
                .run(context -> {
                    TcpServer echo = context.getBean(TcpServer.class);
                    assertThat(echo.isTls()).isTrue();
                    try (SSLSocket socket = connect(echo.port())) {
                        socket.getOutputStream().write("tls".getBytes(StandardCharsets.US_ASCII));
                        assertThat(new String(socket.getInputStream().readNBytes(3), StandardCharsets.US_ASCII))
                                .isEqualTo("tls");
                        assertThat(socket.getSession().getProtocol()).isEqualTo("TLSv1.3");
                    }
                });
    }

    @Test
    void theServerDefaultsNameABundleForEveryServer() {
        runner.withUserConfiguration(EchoServer.class)
                .withPropertyValues("verypoll.server-defaults.ssl.bundle=server",
                        "verypoll.server-defaults.ssl.client-auth=want")
                .run(context -> assertThat(context.getBean(TcpServer.class).isTls()).isTrue());
    }

    @Test
    void aBundleThatDoesNotExistStopsTheStartNamingIt() {
        runner.withUserConfiguration(EchoServer.class).withPropertyValues("verypoll.servers.echo.ssl.bundle=missing")
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .hasStackTraceContaining("server 'echo': ssl.bundle 'missing' names no SSL bundle; the bundles are [server]"));
    }

    @Test
    void tlsFailuresAreMeteredByCause() {
        runner.withUserConfiguration(EchoServer.class).withPropertyValues("verypoll.servers.echo.ssl.bundle=server")
                .run(context -> {
                    TcpServer echo = context.getBean(TcpServer.class);
                    VerypollMeterBinder binder = new VerypollMeterBinder(context.getBean(PollLoopGroup.class));
                    SimpleMeterRegistry registry = new SimpleMeterRegistry();
                    binder.onApplicationEvent(new VerypollServerStartedEvent(echo, 1));
                    binder.bindTo(registry);
                    try (Socket plain = new Socket("127.0.0.1", echo.port())) {
                        plain.getOutputStream().write("hello\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                        plain.setSoTimeout(10_000);
                        try {
                            plain.getInputStream().readAllBytes();
                        } catch (java.net.SocketException reset) {
                            // closed: a reset is fine too
                        }
                    }
                    await().atMost(Duration.ofSeconds(10)).until(() -> echo.tlsFailures(TlsFailure.NOT_TLS) == 1);
                    assertThat(registry.get("verypoll.tls.failures").tag("cause", "not-tls").functionCounter().count())
                            .isEqualTo(1);
                    assertThat(registry.get("verypoll.tls.failures").functionCounters()).hasSize(TlsFailure.values().length);
                    assertThat(registry.get("verypoll.connections.closed").tag("reason", CloseReason.TLS_ERROR.tag())
                            .functionCounter().count()).isEqualTo(1);
                });
    }
}
