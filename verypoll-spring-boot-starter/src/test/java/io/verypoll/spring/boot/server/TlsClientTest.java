package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.server.TcpClientTest.Recorder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.ssl.DefaultSslBundleRegistry;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.pem.PemSslStoreBundle;
import org.springframework.boot.ssl.pem.PemSslStoreDetails;

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * TLS clients ({@code ssl.bundle} on a client) against the starter's TLS server over loopback: the
 * echo intact, the server's host name verified (and the explicit opt-out), a server of an untrusted
 * CA refused on both sides, a server that never answers the ClientHello closed by the handshake
 * timeout, an updated bundle used by new connections only, TLS over a Unix-domain socket. A failed
 * handshake reaches the client's handler as {@code onClose} alone.
 */
@Timeout(90)
class TlsClientTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(2, 256, Duration.ofSeconds(2), Duration.ofMillis(200), 1024, 65_536));
    private final ConcurrentLinkedQueue<String> serverNames = new ConcurrentLinkedQueue<>();
    private TcpServer server;
    private StreamClient client;

    @AfterEach
    void stop() {
        if (client != null) {
            client.stop(Duration.ofSeconds(2));
            assertThat(client.activeConnections()).isZero();
        }
        if (server != null) {
            server.stopAccepting(Duration.ofSeconds(2));
            server.forceClose(Duration.ofSeconds(2));
        }
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
    }

    /** The server's bundle "server", and client bundles trusting the test CA ("trust") or another ("other"). */
    static DefaultSslBundleRegistry bundles() {
        DefaultSslBundleRegistry registry = TlsMaterial.registry();
        registry.registerBundle("trust", trusting("ca"));
        registry.registerBundle("other", trusting("other-ca"));
        PemSslStoreDetails key = PemSslStoreDetails.forCertificate("classpath:tls/client.crt")
                .withPrivateKey("classpath:tls/client.key");
        registry.registerBundle("mtls", SslBundle.of(new PemSslStoreBundle(key,
                PemSslStoreDetails.forCertificate("classpath:tls/ca.crt"))));
        return registry;
    }

    private static SslBundle trusting(String ca) {
        return SslBundle.of(new PemSslStoreBundle(null, PemSslStoreDetails.forCertificate("classpath:tls/" + ca + ".crt")));
    }

    private void tlsEchoServer() throws Exception {
        server = TcpServer.builder().name("tls-echo").port(0).sslBundle("server").sslBundles(bundles())
                .applicationProtocols("h2", "http/1.1")
                .handler(new ConnectionHandler() {
                    @Override
                    public void onOpen(Connection c) {
                        serverNames.add(String.valueOf(c.serverName()));
                    }

                    @Override
                    public void onData(Connection c, java.nio.ByteBuffer data) {
                        c.write(data);
                    }
                }).build();
        server.start(group);
    }

    private TcpClient.Builder tlsClient(String bundle) {
        return TcpClient.builder().name("tls-client").host("localhost").port(server.port()).link(false)
                .sslBundle(bundle).sslBundles(bundles());
    }

    @Test
    void aTlsClientGetsItsMebibyteBackIntactFromATlsServer() throws Exception {
        tlsEchoServer();
        byte[] sent = new byte[1024 * 1024];
        new Random(7).nextBytes(sent);
        Recorder recorder = new Recorder(null);
        client = tlsClient("trust").applicationProtocols("http/1.1").handler(recorder).build();
        client.start(group);
        assertThat(client.isTls()).isTrue();
        client.connect();
        assertThat(recorder.events.poll(20, TimeUnit.SECONDS)).isEqualTo("open");
        Connection c = recorder.connection;
        c.execute(() -> {
            // All of it at once, reading on: a writer that paused its reading over the high watermark
            // and an echo would wait for each other (as in Relay).
            c.pauseReadingWhenOverHigh(false);
            c.write(sent);
        });
        assertThat(c.sslSession().getProtocol()).isEqualTo("TLSv1.3");
        assertThat(c.applicationProtocol()).isEqualTo("http/1.1");
        await().atMost(WAIT).until(() -> recorder.received.size() >= sent.length);
        synchronized (recorder.received) {
            assertThat(recorder.received.toByteArray()).isEqualTo(sent);
        }
        assertThat(serverNames).containsExactly("localhost"); // SNI from the host
        assertThat(client.bytesSent()).isEqualTo(sent.length); // plaintext bytes, as on the server
        c.execute(c::close); // close_notify: the server's connection ends too
        assertThat(recorder.events.poll(20, TimeUnit.SECONDS)).isEqualTo("close:local");
        await().atMost(WAIT).until(() -> server.activeConnections() == 0);
        assertThat(server.closedConnections(CloseReason.TLS_ERROR)).isZero();
        assertThat(client.tlsFailures(TlsFailure.CERTIFICATE)).isZero();
    }

    @Test
    void theLinkCountsAsConnectedOnceTheHandshakeIsDone() throws Exception {
        tlsEchoServer();
        Recorder recorder = new Recorder("over the link");
        client = tlsClient("trust").link(true).handler(recorder).build();
        client.start(group);
        await().atMost(WAIT).until(client::isConnected);
        assertThat(client.linkConnection().sslSession()).isNotNull(); // never a link mid-handshake
        await().atMost(WAIT).until(() -> recorder.text().equals("over the link"));
    }

    @Test
    void aServerWhoseCertificateDoesNotNameTheHostIsRefusedWithTlsError() throws Exception {
        tlsEchoServer();
        Recorder recorder = new Recorder("never sent");
        client = tlsClient("trust").serverName("not-localhost.example").handler(recorder).build();
        client.start(group);
        client.connect();
        assertThat(recorder.events.poll(20, TimeUnit.SECONDS)).isEqualTo("close:tls-error");
        assertThat(recorder.events).isEmpty(); // the handler never opened
        assertThat(client.tlsFailures(TlsFailure.CERTIFICATE)).isEqualTo(1);
        assertThat(client.closedConnections(CloseReason.TLS_ERROR)).isEqualTo(1);
        await().atMost(WAIT).until(() -> server.closedConnections(CloseReason.TLS_ERROR) == 1
                && server.activeConnections() == 0 && client.activeConnections() == 0);
        assertThat(serverNames).isEmpty();
    }

    @Test
    void turningHostNameVerificationOffAcceptsTheSameServer() throws Exception {
        tlsEchoServer();
        Recorder recorder = new Recorder("unchecked name");
        client = tlsClient("trust").serverName("not-localhost.example").verifyHostname(false).handler(recorder).build();
        client.start(group);
        client.connect();
        assertThat(recorder.events.poll(20, TimeUnit.SECONDS)).isEqualTo("open");
        await().atMost(WAIT).until(() -> recorder.text().equals("unchecked name"));
        assertThat(serverNames).containsExactly("not-localhost.example"); // still sent as SNI
    }

    @Test
    void aServerOfAnUntrustedCaIsRefusedAndBothSidesCloseCleanly() throws Exception {
        tlsEchoServer();
        Recorder recorder = new Recorder("never sent");
        client = tlsClient("other").handler(recorder).build();
        client.start(group);
        client.connect();
        assertThat(recorder.events.poll(20, TimeUnit.SECONDS)).isEqualTo("close:tls-error");
        assertThat(recorder.events).isEmpty();
        assertThat(client.tlsFailures(TlsFailure.CERTIFICATE)).isEqualTo(1);
        await().atMost(WAIT).until(() -> server.closedConnections(CloseReason.TLS_ERROR) == 1
                && server.activeConnections() == 0 && client.activeConnections() == 0);
        assertThat(server.bytesReceived()).isZero();
    }

    @Test
    void aServerThatNeverAnswersTheClientHelloIsClosedByTheHandshakeTimeout() throws Exception {
        // A plain server that takes the ClientHello and says nothing.
        server = TcpServer.builder().name("silent").port(0).handler((c, data) -> { }).build();
        server.start(group);
        Recorder recorder = new Recorder(null);
        client = tlsClient("trust").handshakeTimeout(Duration.ofMillis(300)).handler(recorder).build();
        client.start(group);
        client.connect();
        assertThat(recorder.events.poll(20, TimeUnit.SECONDS)).isEqualTo("close:tls-handshake-timeout");
        await().atMost(WAIT).until(() -> server.bytesReceived() > 0); // the ClientHello went out
        assertThat(client.closedConnections(CloseReason.TLS_HANDSHAKE_TIMEOUT)).isEqualTo(1);
    }

    @Test
    void theBundlesKeyStoreIsTheClientCertificateAServerWithClientAuthNeedAsksFor() throws Exception {
        ConcurrentLinkedQueue<String> peers = new ConcurrentLinkedQueue<>();
        server = TcpServer.builder().name("mtls").port(0).sslBundle("server").sslBundles(bundles())
                .clientAuth(ClientAuth.NEED).handler(new ConnectionHandler() {
                    @Override
                    public void onOpen(Connection c) {
                        try {
                            peers.add(((java.security.cert.X509Certificate) c.sslSession().getPeerCertificates()[0])
                                    .getSubjectX500Principal().getName());
                        } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
                            peers.add("none");
                        }
                    }

                    @Override
                    public void onData(Connection c, java.nio.ByteBuffer data) {
                        c.write(data);
                    }
                }).build();
        server.start(group);
        Recorder recorder = new Recorder("with a certificate");
        client = tlsClient("mtls").handler(recorder).build();
        client.start(group);
        client.connect();
        assertThat(recorder.events.poll(20, TimeUnit.SECONDS)).isEqualTo("open");
        await().atMost(WAIT).until(() -> recorder.text().equals("with a certificate"));
        assertThat(peers).containsExactly("CN=verypoll test client");
        client.stop(Duration.ofSeconds(2));

        // Without one ("trust" has no key store) the server refuses the handshake.
        Recorder refused = new Recorder("never sent");
        client = tlsClient("trust").handler(refused).build();
        client.start(group);
        client.connect();
        String event = refused.events.poll(20, TimeUnit.SECONDS);
        if ("open".equals(event)) {
            // TLS 1.3: the client's side of the handshake is done before the server checks its certificate.
            event = refused.events.poll(20, TimeUnit.SECONDS);
        }
        assertThat(event).isEqualTo("close:tls-error"); // the server's alert
        assertThat(refused.text()).isEmpty();
        await().atMost(WAIT).until(() -> server.closedConnections(CloseReason.TLS_ERROR) == 1);
    }

    @Test
    void aRelayWhoseTlsUpstreamFailsClosesTheAcceptedConnection() throws Exception {
        tlsEchoServer();
        client = tlsClient("other").build(); // no link, no handler: Relay gives each connection its own
        client.start(group);
        TcpServer proxy = TcpServer.builder().name("proxy").port(0).handlerFactory(Relay.to(client)).build();
        proxy.start(group);
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", proxy.port())) {
            socket.setSoTimeout(20_000);
            assertThat(socket.getInputStream().read()).as("the accepted connection closes").isEqualTo(-1);
        } finally {
            proxy.stopAccepting(Duration.ofSeconds(2));
            proxy.forceClose(Duration.ofSeconds(2));
        }
        assertThat(client.closedConnections(CloseReason.TLS_ERROR)).isEqualTo(1);
        assertThat(proxy.handlerErrors()).isZero();
    }

    // As the servers' (TlsServerTest.anUpdatedBundleServesNewConnectionsWhileOpenOnesGoOn): an updated
    // bundle is used by the connections made afterwards; an open one keeps its session.
    @Test
    void anUpdatedBundleServesNewConnectionsWhileOpenOnesGoOn() throws Exception {
        tlsEchoServer();
        DefaultSslBundleRegistry registry = bundles();
        java.util.concurrent.BlockingQueue<Recorder> made = new java.util.concurrent.LinkedBlockingQueue<>();
        client = TcpClient.builder().name("tls-client").host("localhost").port(server.port()).link(false)
                .sslBundle("trust").sslBundles(registry).handlerFactory(c -> {
                    Recorder recorder = new Recorder(null);
                    made.add(recorder);
                    return recorder;
                }).build();
        client.start(group);

        client.connect();
        Recorder before = made.poll(20, TimeUnit.SECONDS);
        assertThat(before.events.poll(20, TimeUnit.SECONDS)).isEqualTo("open");

        // The trust swapped for a CA that did not sign the server: the next handshake fails on the certificate.
        registry.updateBundle("trust", trusting("other-ca"));
        client.connect();
        Recorder refused = made.poll(20, TimeUnit.SECONDS);
        assertThat(refused.events.poll(20, TimeUnit.SECONDS)).isEqualTo("close:tls-error");
        assertThat(client.tlsFailures(TlsFailure.CERTIFICATE)).isEqualTo(1);

        // The connection made before goes on with its session.
        byte[] more = new byte[200_000];
        new Random(3).nextBytes(more);
        Connection c = before.connection;
        c.execute(() -> {
            c.pauseReadingWhenOverHigh(false);
            c.write(more);
        });
        await().atMost(WAIT).until(() -> before.received.size() >= more.length);
        synchronized (before.received) {
            assertThat(before.received.toByteArray()).isEqualTo(more);
        }

        // And back: the next connection trusts the server again.
        registry.updateBundle("trust", trusting("ca"));
        client.connect();
        Recorder after = made.poll(20, TimeUnit.SECONDS);
        assertThat(after.events.poll(20, TimeUnit.SECONDS)).isEqualTo("open");
        assertThat(client.tlsFailures(TlsFailure.CERTIFICATE)).isEqualTo(1);
    }

    // An update that cannot be used (a trust store that does not load) keeps the previous material.
    @Test
    void anUnusableBundleUpdateKeepsThePreviousMaterial() throws Exception {
        tlsEchoServer();
        DefaultSslBundleRegistry registry = bundles();
        Recorder recorder = new Recorder(null);
        client = TcpClient.builder().name("tls-client").host("localhost").port(server.port()).link(false)
                .sslBundle("trust").sslBundles(registry).handler(recorder).build();
        client.start(group);
        registry.updateBundle("trust", SslBundle.of(new PemSslStoreBundle(null,
                PemSslStoreDetails.forCertificate("classpath:tls/missing.crt"))));
        client.connect();
        assertThat(recorder.events.poll(20, TimeUnit.SECONDS)).isEqualTo("open");
    }

    @Test
    void aTlsClientOverAUnixSocketGetsTheEchoFromATlsUnixServer(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path path = dir.resolve("tls.sock");
        UnixServer unixServer = UnixServer.builder().name("tls-unix").path(path).sslBundle("server").sslBundles(bundles())
                .handler((c, data) -> c.write(data)).build();
        unixServer.start(group);
        try {
            byte[] sent = new byte[300_000];
            new Random(9).nextBytes(sent);
            Recorder recorder = new Recorder(null);
            // No host on a Unix socket: the name the server's certificate must carry is given.
            client = UnixClient.builder().name("tls-unix-client").path(path).link(false).sslBundle("trust")
                    .serverName("localhost").sslBundles(bundles()).handler(recorder).build();
            client.start(group);
            assertThat(client.isTls()).isTrue();
            client.connect();
            assertThat(recorder.events.poll(20, TimeUnit.SECONDS)).isEqualTo("open");
            Connection c = recorder.connection;
            assertThat(c.sslSession().getProtocol()).isEqualTo("TLSv1.3");
            c.execute(() -> {
                c.pauseReadingWhenOverHigh(false);
                c.write(sent);
            });
            await().atMost(WAIT).until(() -> recorder.received.size() >= sent.length);
            synchronized (recorder.received) {
                assertThat(recorder.received.toByteArray()).isEqualTo(sent);
            }
            c.execute(c::close);
            assertThat(recorder.events.poll(20, TimeUnit.SECONDS)).isEqualTo("close:local");
            await().atMost(WAIT).until(() -> unixServer.activeConnections() == 0);
            assertThat(unixServer.closedConnections(CloseReason.TLS_ERROR)).isZero();

            // A server name the certificate does not carry is refused, as over TCP.
            Recorder wrongName = new Recorder("never sent");
            client.stop(Duration.ofSeconds(2));
            client = UnixClient.builder().name("tls-unix-client").path(path).link(false).sslBundle("trust")
                    .serverName("elsewhere.example").sslBundles(bundles()).handler(wrongName).build();
            client.start(group);
            client.connect();
            assertThat(wrongName.events.poll(20, TimeUnit.SECONDS)).isEqualTo("close:tls-error");
            assertThat(client.tlsFailures(TlsFailure.CERTIFICATE)).isEqualTo(1);
        } finally {
            unixServer.stopAccepting(Duration.ofSeconds(2));
            unixServer.forceClose(Duration.ofSeconds(2));
        }
    }

    @Test
    void anSslBundleThatDoesNotExistStopsTheStart() throws Exception {
        tlsEchoServer();
        client = tlsClient("missing").handler(new Recorder(null)).build();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.start(group))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("ssl.bundle 'missing'")
                .hasMessageContaining("trust");
        client = null;
    }

    @Test
    void tlsOverAUnixSocketNeedsTheServerNameUnlessVerificationIsOff() {
        UnixClient unix = UnixClient.builder().path("/tmp/none.sock").sslBundle("trust").handler((c, d) -> { }).build();
        assertThat(unix.problems()).singleElement().asString().contains("ssl.server-name must be set");
        UnixClient named = UnixClient.builder().path("/tmp/none.sock").sslBundle("trust").serverName("localhost")
                .handler((c, d) -> { }).build();
        assertThat(named.problems()).isEmpty();
        UnixClient unverified = UnixClient.builder().path("/tmp/none.sock").sslBundle("trust").verifyHostname(false)
                .handler((c, d) -> { }).build();
        assertThat(unverified.problems()).isEmpty();
    }
}
