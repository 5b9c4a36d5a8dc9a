package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.PollLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The TLS server against {@code openssl s_client} (skipped where openssl is not installed), and what
 * a TLS server leaves behind once stopped: no descriptor, no thread.
 */
@Timeout(120)
class TlsInteropTest {

    private final ExecutorService threads = Executors.newCachedThreadPool();
    private PollLoopGroup group;
    private TcpServer server;

    @AfterEach
    void stop() {
        threads.shutdownNow();
        stopServer();
    }

    private void stopServer() {
        if (server != null) {
            server.stopAccepting(Duration.ofSeconds(2));
            server.forceClose(Duration.ofSeconds(2));
            server = null;
        }
        if (group != null) {
            assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
            group = null;
        }
    }

    private void startEcho() throws Exception {
        group = new PollLoopGroup(new PollLoopGroup.Settings(2, 256, Duration.ofSeconds(2), Duration.ofMillis(200),
                1024, 65_536));
        server = TcpServer.builder().name("interop").port(0).sslBundle("server").sslBundles(TlsMaterial.registry())
                .handler((c, data) -> c.write(data)).build();
        server.start(group);
    }

    private static boolean opensslInstalled() {
        try {
            Process p = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static Path resource(String name) throws Exception {
        return Path.of(TlsInteropTest.class.getResource("/tls/" + name).toURI());
    }

    /** Sends 10 MiB through {@code openssl s_client} with {@code options}; the echo must come back intact. */
    private void echoThroughOpenssl(String... options) throws Exception {
        Assumptions.assumeTrue(opensslInstalled(), "openssl is not installed: skipping the s_client interop test"
                + " (apt-get install openssl)");
        startEcho();
        byte[] sent = new byte[10 * 1024 * 1024];
        new Random(21).nextBytes(sent);
        List<String> command = new java.util.ArrayList<>(List.of("openssl", "s_client", "-connect",
                "127.0.0.1:" + server.port(), "-quiet", "-verify_return_error", "-CAfile", resource("ca.crt").toString(),
                "-servername", "localhost"));
        command.addAll(List.of(options));
        Process client = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try (OutputStream in = client.getOutputStream()) {
                    for (int i = 0; i < sent.length; i += 65536) {
                        in.write(sent, i, Math.min(65536, sent.length - i));
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, threads);
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            InputStream out = client.getInputStream();
            byte[] buffer = new byte[65536];
            long total = 0;
            while (total < sent.length) {
                int n = out.read(buffer, 0, (int) Math.min(buffer.length, sent.length - total));
                assertThat(n).as("s_client's output ended after %d bytes", total).isPositive();
                digest.update(buffer, 0, n);
                total += n;
            }
            writer.get(60, TimeUnit.SECONDS);
            assertThat(digest.digest()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(sent));
        } finally {
            client.destroy();
            if (!client.waitFor(10, TimeUnit.SECONDS)) {
                client.destroyForcibly();
            }
        }
        assertThat(server.bytesReceived()).isEqualTo(sent.length);
    }

    @Test
    void opensslClientEchoesTenMebibytesOverTls13() throws Exception {
        echoThroughOpenssl("-tls1_3");
    }

    @Test
    void opensslClientEchoesTenMebibytesOverTls12() throws Exception {
        echoThroughOpenssl("-tls1_2");
    }

    @Test
    void aStoppedTlsServerLeavesNoDescriptorAndNoThread() throws Exception {
        runAndStop(); // the first run opens jars and JDK files for good: measure from the second
        long fdsBefore = openFds();
        runAndStop();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(openFds()).isLessThanOrEqualTo(fdsBefore);
            assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
                    .noneMatch(name -> name.startsWith("verypoll-offload-interop") || name.startsWith("verypoll-loop"));
        });
    }

    /** A TLS server serving good, wrong-CA and plaintext clients, then stopped. */
    private void runAndStop() throws Exception {
        startEcho();
        for (int i = 0; i < 5; i++) {
            try (SSLSocket socket = (SSLSocket) TlsMaterial.client().getSocketFactory().createSocket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write("x".getBytes(StandardCharsets.US_ASCII));
                assertThat(socket.getInputStream().read()).isEqualTo('x');
            }
            try (SSLSocket wrongCa = (SSLSocket) TlsMaterial.client("other-ca", false).getSocketFactory().createSocket()) {
                wrongCa.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
                wrongCa.setSoTimeout(10_000);
                assertThatThrownBy(wrongCa::startHandshake).isInstanceOf(SSLException.class);
            }
            try (Socket plain = new Socket("127.0.0.1", server.port())) {
                plain.getOutputStream().write("plain\r\n".getBytes(StandardCharsets.US_ASCII));
            }
        }
        TcpServer stopped = server;
        await().atMost(Duration.ofSeconds(10)).until(() -> stopped.activeConnections() == 0);
        assertThat(stopped.closedConnections(CloseReason.TLS_ERROR)).isGreaterThanOrEqualTo(5);
        stopServer();
    }

    private static long openFds() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
