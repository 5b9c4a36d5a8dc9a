package io.verypoll.spring.boot.autoconfigure;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.verypoll.spring.boot.actuate.VerypollMeterBinder;
import io.verypoll.spring.boot.context.VerypollServerPortInitializer;
import io.verypoll.spring.boot.context.VerypollServerStartedEvent;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.context.VerypollClientStartedEvent;
import io.verypoll.spring.boot.server.CloseReason;
import io.verypoll.spring.boot.server.Connection;
import io.verypoll.spring.boot.server.ConnectionHandler;
import io.verypoll.spring.boot.server.TcpClient;
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

/**
 * {@code verypoll.servers.<name>.ssl.bundle} and {@code verypoll.clients.<name>.ssl.bundle} naming a
 * {@code spring.ssl.bundle.*} of the context.
 */
@Timeout(60)
class TlsAutoConfigurationTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withInitializer(new VerypollServerPortInitializer())
            .withPropertyValues("verypoll.loops=1", "verypoll.shutdown-timeout=0s",
                    "spring.ssl.bundle.pem.server.keystore.certificate=classpath:tls/server.crt",
                    "spring.ssl.bundle.pem.server.keystore.private-key=classpath:tls/server.key",
                    "spring.ssl.bundle.pem.trust.truststore.certificate=classpath:tls/ca.crt")
            .withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, VerypollAutoConfiguration.class));

    @Configuration(proxyBeanMethods = false)
    static class EchoServer {
        @Bean
        TcpServer echo() {
            return TcpServer.builder().port(0).handler((c, data) -> c.write(data)).build();
        }
    }

    /** A TLS echo server and a client with a link to it, TLS by configuration alone. */
    @Configuration(proxyBeanMethods = false)
    static class EchoServerAndClient {
        static final StringBuffer RECEIVED = new StringBuffer();

        @Bean
        TcpServer echo() {
            return TcpServer.builder().port(0).sslBundle("server").handler((c, data) -> c.write(data)).build();
        }

        @Bean
        TcpClient backend() {
            return TcpClient.builder().host("localhost").handler(new ConnectionHandler() {
                @Override
                public void onOpen(Connection c) {
                    c.write("through tls".getBytes(StandardCharsets.US_ASCII));
                }

                @Override
                public void onData(Connection c, java.nio.ByteBuffer data) {
                    RECEIVED.append(StandardCharsets.US_ASCII.decode(data));
                }
            }).build();
        }
    }

    @Test
    void aClientPropertyNamingABundleMakesATlsClientThatVerifiesTheServer() {
        EchoServerAndClient.RECEIVED.setLength(0);
        runner.withUserConfiguration(EchoServerAndClient.class)
                .withPropertyValues("verypoll.clients.backend.ssl.bundle=trust",
                        "verypoll.clients.backend.port=${local.verypoll.echo.port}")
                .run(context -> {
                    TcpClient backend = context.getBean(TcpClient.class);
                    assertThat(backend.isTls()).isTrue();
                    await().atMost(Duration.ofSeconds(20)).until(backend::isConnected);
                    await().atMost(Duration.ofSeconds(20))
                            .until(() -> EchoServerAndClient.RECEIVED.toString().equals("through tls"));
                    assertThat(backend.linkConnection().sslSession().getProtocol()).isEqualTo("TLSv1.3");
                    VerypollMeterBinder binder = new VerypollMeterBinder(context.getBean(PollLoopGroup.class));
                    SimpleMeterRegistry registry = new SimpleMeterRegistry();
                    binder.onClientStarted(new VerypollClientStartedEvent(backend));
                    binder.bindTo(registry);
                    assertThat(registry.get("verypoll.client.tls.failures").tag("client", "backend").functionCounters())
                            .hasSize(TlsFailure.values().length);
                });
    }

    @Test
    void theClientDefaultsNameABundleAndAMissingOneStopsTheStart() {
        runner.withUserConfiguration(EchoServerAndClient.class)
                .withPropertyValues("verypoll.client-defaults.ssl.bundle=nowhere",
                        "verypoll.clients.backend.port=${local.verypoll.echo.port}")
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .hasStackTraceContaining("client 'backend': ssl.bundle 'nowhere' names no SSL bundle"));
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
                        .hasStackTraceContaining("server 'echo': ssl.bundle 'missing' names no SSL bundle; the bundles are [")
                        .hasStackTraceContaining("server"));
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
