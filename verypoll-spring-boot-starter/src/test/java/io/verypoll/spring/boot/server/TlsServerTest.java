package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.PollLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.ssl.DefaultSslBundleRegistry;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** TLS servers over loopback with JDK SSLSocket clients, without Spring: the bundle from a registry. */
@Timeout(90)
class TlsServerTest {

    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(2, 256, Duration.ofSeconds(2), Duration.ofMillis(200), 1024, 65_536));
    private final DefaultSslBundleRegistry bundles = TlsMaterial.registry();
    private TcpServer server;

    @AfterEach
    void stop() {
        threads.shutdownNow();
        if (server != null) {
            server.stopAccepting(Duration.ofSeconds(2));
            server.forceClose(Duration.ofSeconds(2));
        }
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
    }

    private TcpServer start(TcpServer.Builder builder) throws Exception {
        server = builder.name("tls").port(0).sslBundle("server").sslBundles(bundles).build();
        server.start(group);
        return server;
    }

    private TcpServer startEcho() throws Exception {
        return start(TcpServer.builder().handler((c, data) -> c.write(data)));
    }

    private SSLSocket connect(SSLContext context, String... protocols) throws Exception {
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket();
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
        socket.setSoTimeout(10_000);
        if (protocols.length > 0) {
            socket.setEnabledProtocols(protocols);
        }
        return socket;
    }

    /** Sends {@code bytes} from another thread while reading the echo; returns its digest. */
    private byte[] echo(Socket socket, byte[] bytes) throws Exception {
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                OutputStream out = socket.getOutputStream();
                for (int i = 0; i < bytes.length; i += 16384) {
                    out.write(bytes, i, Math.min(16384, bytes.length - i));
                }
                out.flush();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, threads);
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[65536];
        long total = 0;
        while (total < bytes.length) {
            int n = in.read(buffer);
            assertThat(n).as("echo ended after %d of %d bytes", total, bytes.length).isPositive();
            digest.update(buffer, 0, n);
            total += n;
        }
        writer.get(30, TimeUnit.SECONDS);
        return digest.digest();
    }

    @Test
    void echoesTenMebibytesIntactOverTls13ByDefault() throws Exception {
        startEcho();
        byte[] sent = new byte[10 * 1024 * 1024];
        new Random(7).nextBytes(sent);
        try (SSLSocket socket = connect(TlsMaterial.client())) {
            assertThat(echo(socket, sent)).isEqualTo(MessageDigest.getInstance("SHA-256").digest(sent));
            assertThat(socket.getSession().getProtocol()).isEqualTo("TLSv1.3");
        }
        assertThat(server.bytesReceived()).isEqualTo(sent.length);
    }

    // One write of more than the packet buffer's four records (64 KiB) used to wrap 64 KiB, send it and
    // return the short count with the socket still empty: the connection took it for a full socket and
    // waited for a writable event that never came (stalled after 64 KiB). It wraps on while the socket
    // takes everything now.
    @Test
    void aSingleWriteOfFourMebibytesGoesOutWhole() throws Exception {
        byte[] sent = new byte[4 * 1024 * 1024];
        new Random(9).nextBytes(sent);
        start(TcpServer.builder().maxPendingBytes(8L * 1024 * 1024).handler(new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                connection.write(sent);
            }

            @Override
            public void onData(Connection connection, java.nio.ByteBuffer data) {
            }
        }));
        try (SSLSocket socket = connect(TlsMaterial.client())) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[65536];
            long total = 0;
            while (total < sent.length) {
                int n = in.read(buffer); // SO_TIMEOUT 10 s: a stall fails here
                assertThat(n).as("ended after %d of %d bytes", total, sent.length).isPositive();
                digest.update(buffer, 0, n);
                total += n;
            }
            assertThat(digest.digest()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(sent));
        }
        assertThat(server.bytesSent()).isEqualTo(sent.length);
    }

    @Test
    void negotiatesTls12WithAClientThatOffersOnlyIt() throws Exception {
        startEcho();
        byte[] sent = new byte[256 * 1024];
        new Random(8).nextBytes(sent);
        try (SSLSocket socket = connect(TlsMaterial.client(), "TLSv1.2")) {
            assertThat(echo(socket, sent)).isEqualTo(MessageDigest.getInstance("SHA-256").digest(sent));
            assertThat(socket.getSession().getProtocol()).isEqualTo("TLSv1.2");
        }
    }

    @Test
    void theHandlerOpensAfterTheHandshakeAndSeesSessionSniAndAlpn() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        start(TcpServer.builder().applicationProtocols("echo/2", "echo/1").handler(new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                seen.add(connection.sslSession().getProtocol() + " " + connection.serverName() + " "
                        + connection.applicationProtocol());
                connection.write("hello\n".getBytes(StandardCharsets.US_ASCII));
            }

            @Override
            public void onData(Connection connection, java.nio.ByteBuffer data) {
                connection.write(data);
            }
        }));
        try (SSLSocket socket = connect(TlsMaterial.client())) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName("localhost")));
            parameters.setApplicationProtocols(new String[] {"echo/1"});
            socket.setSSLParameters(parameters);
            byte[] greeting = socket.getInputStream().readNBytes(6);
            assertThat(new String(greeting, StandardCharsets.US_ASCII)).isEqualTo("hello\n");
            assertThat(socket.getApplicationProtocol()).isEqualTo("echo/1");
        }
        assertThat(seen).containsExactly("TLSv1.3 localhost echo/1");
    }

    @Test
    void closeSendsCloseNotifyAndThePeersCloseNotifyEndsTheInput() throws Exception {
        start(TcpServer.builder().handler((c, data) -> {
            c.write(data);
            c.close();
        }));
        try (SSLSocket socket = connect(TlsMaterial.client())) {
            socket.getOutputStream().write('x');
            InputStream in = socket.getInputStream();
            assertThat(in.read()).isEqualTo('x');
            assertThat(in.read()).as("close_notify: a clean end of stream").isEqualTo(-1);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> server.activeConnections() == 0);
        assertThat(server.closedConnections(CloseReason.LOCAL) + server.closedConnections(CloseReason.PEER_CLOSED))
                .isEqualTo(1);
        assertThat(server.closedConnections(CloseReason.TLS_ERROR)).isZero();
    }

    @Test
    void aHalfClosedTls13ConnectionStillTakesTheServersReply() throws Exception {
        start(TcpServer.builder().handler(new ConnectionHandler() {
            private int received;

            @Override
            public void onData(Connection connection, java.nio.ByteBuffer data) {
                received += data.remaining();
                data.position(data.limit());
            }

            @Override
            public void onReadClosed(Connection connection) {
                // The client's close_notify ended its side only: the reply still goes out, then ours.
                connection.write(("got " + received).getBytes(StandardCharsets.US_ASCII));
                connection.close();
            }
        }));
        try (SSLSocket socket = connect(TlsMaterial.client())) {
            socket.getOutputStream().write(new byte[1000]);
            socket.shutdownOutput(); // TLS 1.3: close_notify, the input stays open
            assertThat(new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
                    .isEqualTo("got 1000");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> server.closedConnections(CloseReason.PEER_CLOSED) == 1);
    }

    @Test
    void aClientTrustingAnotherCaFailsCleanlyAndTheFailureIsCounted() throws Exception {
        startEcho();
        try (SSLSocket socket = connect(TlsMaterial.client("other-ca", false))) {
            assertThatThrownBy(socket::startHandshake).isInstanceOf(SSLException.class);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> server.closedConnections(CloseReason.TLS_ERROR) == 1);
        assertThat(server.tlsFailures(TlsFailure.CERTIFICATE)).isEqualTo(1);
        assertThat(server.activeConnections()).isZero();
    }

    @Test
    void clientAuthNeedRefusesAClientWithoutCertificateAndServesOneWithIt() throws Exception {
        List<String> peers = new CopyOnWriteArrayList<>();
        start(TcpServer.builder().clientAuth(ClientAuth.NEED).handler(new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                try {
                    peers.add(((X509Certificate) connection.sslSession().getPeerCertificates()[0])
                            .getSubjectX500Principal().getName());
                } catch (Exception e) {
                    peers.add("none: " + e);
                }
            }

            @Override
            public void onData(Connection connection, java.nio.ByteBuffer data) {
                connection.write(data);
            }
        }));
        try (SSLSocket socket = connect(TlsMaterial.client("ca", false))) {
            // TLS 1.3: the client may finish its side first and hear of the refusal at its first read.
            assertThatThrownBy(() -> {
                socket.startHandshake();
                socket.getOutputStream().write('x');
                socket.getOutputStream().flush();
                if (socket.getInputStream().read() < 0) {
                    throw new SSLException("closed");
                }
            }).isInstanceOf(java.io.IOException.class);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> server.closedConnections(CloseReason.TLS_ERROR) == 1);
        assertThat(server.tlsFailures(TlsFailure.CERTIFICATE)).isEqualTo(1);
        try (SSLSocket socket = connect(TlsMaterial.client("ca", true))) {
            assertThat(echo(socket, "ok".getBytes(StandardCharsets.US_ASCII))).isNotNull();
        }
        assertThat(peers).containsExactly("CN=verypoll test client");
    }

    @Test
    void aPlaintextClientIsClosedAndNeverReachesTheHandler() throws Exception {
        List<Connection> opened = new CopyOnWriteArrayList<>();
        start(TcpServer.builder().handler(new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                opened.add(connection);
            }

            @Override
            public void onData(Connection connection, java.nio.ByteBuffer data) {
            }
        }));
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            try {
                while (in.read() >= 0) {
                    // an alert, perhaps: then the end
                }
            } catch (java.net.SocketException reset) {
                // a reset is a close too
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> server.closedConnections(CloseReason.TLS_ERROR) == 1);
        assertThat(server.tlsFailures(TlsFailure.NOT_TLS)).isEqualTo(1);
        assertThat(opened).isEmpty();
    }

    @Test
    void aHandshakeThatStallsIsClosedAtTheHandshakeTimeout() throws Exception {
        start(TcpServer.builder().handshakeTimeout(Duration.ofMillis(300)).handler((c, data) -> c.write(data)));
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(new byte[] {22, 3, 1}); // the start of a ClientHello, then nothing
            long started = System.nanoTime();
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
            assertThat(System.nanoTime() - started).isGreaterThan(TimeUnit.MILLISECONDS.toNanos(200));
        }
        await().atMost(Duration.ofSeconds(10))
                .until(() -> server.closedConnections(CloseReason.TLS_HANDSHAKE_TIMEOUT) == 1);
    }

    @Test
    void renegotiationIsRefused() throws Exception {
        startEcho();
        try (SSLSocket socket = connect(TlsMaterial.client(), "TLSv1.2")) {
            assertThat(echo(socket, new byte[] {1, 2, 3})).isNotNull();
            assertThatThrownBy(() -> {
                socket.startHandshake(); // a second one: renegotiation
                socket.getOutputStream().write(4);
                socket.getOutputStream().flush();
                if (socket.getInputStream().read() < 0) {
                    throw new SSLException("closed");
                }
            }).isInstanceOf(java.io.IOException.class);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> server.tlsFailures(TlsFailure.RENEGOTIATION) == 1);
    }

    @Test
    void anUpdatedBundleServesNewConnectionsWhileOpenOnesGoOn() throws Exception {
        startEcho();
        try (SSLSocket before = connect(TlsMaterial.client())) {
            assertThat(echo(before, new byte[] {1})).isNotNull();
            assertThat(serial(before)).isEqualTo(TlsMaterial.serial("server"));
            bundles.updateBundle("server", TlsMaterial.serverBundle("server2"));
            try (SSLSocket after = connect(TlsMaterial.client())) {
                assertThat(echo(after, new byte[] {2})).isNotNull();
                assertThat(serial(after)).isEqualTo(TlsMaterial.serial("server2"));
            }
            byte[] more = new byte[200_000];
            new Random(3).nextBytes(more);
            assertThat(echo(before, more)).isEqualTo(MessageDigest.getInstance("SHA-256").digest(more));
        }
    }

    private static BigInteger serial(SSLSocket socket) throws Exception {
        return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
    }

    @Test
    void theBundlesProtocolsAreHonoured() throws Exception {
        bundles.updateBundle("server", TlsMaterial.serverBundle("server",
                org.springframework.boot.ssl.SslOptions.of(null, new String[] {"TLSv1.2"})));
        startEcho();
        try (SSLSocket socket = connect(TlsMaterial.client())) {
            assertThat(echo(socket, new byte[] {9})).isNotNull();
            assertThat(socket.getSession().getProtocol()).isEqualTo("TLSv1.2");
        }
        try (SSLSocket socket = connect(TlsMaterial.client(), "TLSv1.3")) {
            assertThatThrownBy(socket::startHandshake).isInstanceOf(SSLException.class);
        }
    }

    @Test
    void theBundlesCiphersAreHonoured() throws Exception {
        String cipher = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";
        bundles.updateBundle("server", TlsMaterial.serverBundle("server",
                org.springframework.boot.ssl.SslOptions.of(new String[] {cipher}, new String[] {"TLSv1.2"})));
        startEcho();
        try (SSLSocket socket = connect(TlsMaterial.client())) {
            assertThat(echo(socket, new byte[] {9})).isNotNull();
            assertThat(socket.getSession().getCipherSuite()).isEqualTo(cipher);
        }
        try (SSLSocket socket = connect(TlsMaterial.client(), "TLSv1.2")) {
            socket.setEnabledCipherSuites(new String[] {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"});
            assertThatThrownBy(socket::startHandshake).isInstanceOf(SSLException.class);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> server.activeConnections() == 0
                && server.closedConnections(CloseReason.TLS_ERROR) + server.closedConnections(CloseReason.PEER_CLOSED) == 2);
        assertThat(failures()).as("closed: %s", closes()).containsExactly(java.util.Map.entry(TlsFailure.NEGOTIATION, 1L));
    }

    /** Connections closed so far, by reason (the ones not 0). */
    private java.util.Map<CloseReason, Long> closes() {
        java.util.Map<CloseReason, Long> closed = new java.util.EnumMap<>(CloseReason.class);
        for (CloseReason reason : CloseReason.values()) {
            if (server.closedConnections(reason) > 0) {
                closed.put(reason, server.closedConnections(reason));
            }
        }
        return closed;
    }

    // A handshake task that fails closes the engine on the task's thread, maybe before the loop's read
    // that started it returns: that read must not take the closed engine for the peer's end of stream.
    @Test
    void aHandshakeFailingInItsDelegatedTaskIsAlwaysATlsError() throws Exception {
        bundles.updateBundle("server", TlsMaterial.serverBundle("server", org.springframework.boot.ssl.SslOptions
                .of(new String[] {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}, new String[] {"TLSv1.2"})));
        startEcho();
        int tries = 40;
        for (int i = 0; i < tries; i++) {
            try (SSLSocket socket = connect(TlsMaterial.client(), "TLSv1.2")) {
                socket.setEnabledCipherSuites(new String[] {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"});
                assertThatThrownBy(socket::startHandshake).isInstanceOf(SSLException.class);
            }
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> server.activeConnections() == 0
                && server.acceptedConnections() == tries);
        assertThat(closes()).containsExactly(java.util.Map.entry(CloseReason.TLS_ERROR, (long) tries));
        assertThat(failures()).containsExactly(java.util.Map.entry(TlsFailure.NEGOTIATION, (long) tries));
    }

    /** The TLS failures counted so far, by cause (the ones not 0). */
    private java.util.Map<TlsFailure, Long> failures() {
        java.util.Map<TlsFailure, Long> counted = new java.util.EnumMap<>(TlsFailure.class);
        for (TlsFailure cause : TlsFailure.values()) {
            if (server.tlsFailures(cause) > 0) {
                counted.put(cause, server.tlsFailures(cause));
            }
        }
        return counted;
    }

    @Test
    void anUnknownBundleStopsTheStartWithItsName() {
        server = TcpServer.builder().name("tls").port(0).sslBundle("nope").sslBundles(bundles)
                .handler((c, data) -> c.write(data)).build();
        assertThatThrownBy(() -> server.start(group)).hasMessageContaining("'nope'").hasMessageContaining("[server]");
        server = null;
    }
}
