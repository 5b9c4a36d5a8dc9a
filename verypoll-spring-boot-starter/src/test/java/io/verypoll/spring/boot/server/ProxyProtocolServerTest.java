package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.PollLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.ssl.DefaultSslBundleRegistry;

import javax.net.ssl.SSLSocket;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Servers behind a load balancer: the PROXY header read first, below TLS, over loopback. */
@Timeout(60)
class ProxyProtocolServerTest {

    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(2, 256, Duration.ofSeconds(2), Duration.ofMillis(200), 1024, 65_536));
    private final DefaultSslBundleRegistry bundles = TlsMaterial.registry();
    private final List<SocketAddress> peers = new CopyOnWriteArrayList<>();
    private TcpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stopAccepting(Duration.ofSeconds(2));
            server.forceClose(Duration.ofSeconds(2));
        }
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
    }

    private void start(TcpServer.Builder builder) throws Exception {
        server = builder.name("lb").port(0).handler(new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                peers.add(connection.remoteAddress());
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {
                connection.write(data);
            }
        }).build();
        server.start(group);
    }

    private Socket connect() throws Exception {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        return socket;
    }

    @Test
    void theHandlerSeesTheClientTheHeaderNamesWhateverTheHeaderIsSplitInto() throws Exception {
        start(TcpServer.builder().proxyProtocol(ProxyProtocol.ANY));
        byte[] header = "PROXY TCP4 203.0.113.7 10.0.0.1 40000 443\r\n".getBytes(StandardCharsets.US_ASCII);
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            out.write(header, 0, 9);
            out.flush();
            Thread.sleep(50); // lets the server read the first piece by itself (not a synchronisation)
            out.write(header, 9, header.length - 9);
            out.write("ping".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(new String(socket.getInputStream().readNBytes(4), StandardCharsets.US_ASCII)).isEqualTo("ping");
        }
        assertThat(peers).containsExactly(new InetSocketAddress("203.0.113.7", 40000));
    }

    @Test
    void aConnectionWithoutHeaderIsClosedAndCounted() throws Exception {
        start(TcpServer.builder().proxyProtocol(ProxyProtocol.V1));
        try (Socket socket = connect()) {
            socket.getOutputStream().write("hello\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(readToEnd(socket.getInputStream())).isEqualTo(-1);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> server.closedConnections(CloseReason.PROXY_PROTOCOL_ERROR) == 1);
        assertThat(peers).isEmpty();
    }

    @Test
    void anIncompleteHeaderIsClosedAtTheHandshakeTimeout() throws Exception {
        start(TcpServer.builder().proxyProtocol(ProxyProtocol.ANY).handshakeTimeout(Duration.ofMillis(300)));
        try (Socket socket = connect()) {
            socket.getOutputStream().write("PROXY TCP4 1.2.3.4".getBytes(StandardCharsets.US_ASCII));
            assertThat(readToEnd(socket.getInputStream())).isEqualTo(-1);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> server.closedConnections(CloseReason.PROXY_PROTOCOL_TIMEOUT) == 1);
    }

    @Test
    void theHeaderComesBeforeTheTlsHandshake() throws Exception {
        start(TcpServer.builder().proxyProtocol(ProxyProtocol.ANY).sslBundle("server").sslBundles(bundles));
        try (Socket plain = connect()) {
            // A v2 header for 198.51.100.9:5555, then TLS on the same socket.
            byte[] header = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x21, 0x11, 0, 12,
                    (byte) 198, 51, 100, 9, 127, 0, 0, 1, 0x15, (byte) 0xb3, 0x01, (byte) 0xbb};
            plain.getOutputStream().write(header);
            try (SSLSocket tls = (SSLSocket) TlsMaterial.client().getSocketFactory()
                    .createSocket(plain, "localhost", server.port(), true)) {
                tls.getOutputStream().write("hi".getBytes(StandardCharsets.US_ASCII));
                tls.getOutputStream().flush();
                assertThat(new String(tls.getInputStream().readNBytes(2), StandardCharsets.US_ASCII)).isEqualTo("hi");
            }
        }
        assertThat(peers).containsExactly(new InetSocketAddress("198.51.100.9", 5555));
    }

    /** Reads until the end of stream (or a reset); returns -1. */
    private static int readToEnd(InputStream in) throws Exception {
        try {
            while (in.read() >= 0) {
                // discard
            }
        } catch (java.net.SocketException reset) {
            // closed with unread input: a reset
        }
        return -1;
    }
}
