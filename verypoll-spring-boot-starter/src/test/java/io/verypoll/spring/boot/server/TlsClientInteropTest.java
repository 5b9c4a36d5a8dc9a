package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.server.TcpClientTest.Recorder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A verypoll TLS client against {@code openssl s_server} (skipped where openssl is not installed): the
 * handshake with the host name verified, a line each way, and the close.
 */
@Timeout(90)
class TlsClientInteropTest {

    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(1, 256, Duration.ofSeconds(2), Duration.ofMillis(200), 1024, 65_536));
    private TcpClient client;
    private Process server;

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            client.stop(Duration.ofSeconds(2));
            assertThat(client.activeConnections()).isZero();
        }
        if (server != null) {
            server.destroy();
            if (!server.waitFor(10, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
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
        return Path.of(TlsClientInteropTest.class.getResource("/tls/" + name).toURI());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void aVerypollClientTalksToOpensslServer() throws Exception {
        Assumptions.assumeTrue(opensslInstalled(), "openssl is not installed: skipping the s_server interop test"
                + " (apt-get install openssl)");
        int port = freePort();
        server = new ProcessBuilder(List.of("openssl", "s_server", "-accept", "127.0.0.1:" + port,
                "-cert", resource("server.crt").toString(), "-key", resource("server.key").toString(), "-naccept", "1"))
                .redirectErrorStream(true).start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("(output ended: " + e.getMessage() + ")");
            }
        }, "s_server-output");
        reader.setDaemon(true);
        reader.start();
        awaitLine(lines, "ACCEPT");

        Recorder recorder = new Recorder("hello from verypoll\n");
        client = TcpClient.builder().name("to-openssl").host("localhost").port(port).link(false)
                .sslBundle("trust").sslBundles(TlsClientTest.bundles()).handler(recorder).build();
        client.start(group);
        client.connect();
        assertThat(recorder.events.poll(30, TimeUnit.SECONDS)).isEqualTo("open");
        Connection c = recorder.connection;
        assertThat(c.sslSession().getProtocol()).isEqualTo("TLSv1.3");
        awaitLine(lines, "hello from verypoll"); // s_server prints what it received

        OutputStream in = server.getOutputStream(); // s_server sends its input lines to the client
        in.write("hello from openssl\n".getBytes(StandardCharsets.US_ASCII));
        in.flush();
        await().atMost(Duration.ofSeconds(20)).until(() -> recorder.text().equals("hello from openssl\n"));

        c.execute(c::close); // close_notify
        assertThat(recorder.events.poll(20, TimeUnit.SECONDS)).isEqualTo("close:local");
        assertThat(client.closedConnections(CloseReason.TLS_ERROR)).isZero();
    }

    private static void awaitLine(BlockingQueue<String> lines, String wanted) throws InterruptedException {
        StringBuilder seen = new StringBuilder();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            String line = lines.poll(200, TimeUnit.MILLISECONDS);
            if (line == null) {
                continue;
            }
            if (line.equals(wanted)) {
                return;
            }
            seen.append(line).append('\n');
        }
        throw new AssertionError("s_server did not print '" + wanted + "' within 30 s; it printed:\n" + seen);
    }
}
