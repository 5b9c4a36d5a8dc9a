package io.verypoll.demo;

import io.verypoll.demochild.SlowHttpDemo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * SIGTERM to the demo while an HTTP request and an echo connection are in flight: accepting stops
 * at once, both drain side by side (verypoll in Boot's graceful web phase), and the process exits
 * within the longer of the two drains, not their sum.
 */
@Timeout(90)
class DemoShutdownTest {

    private static final long HTTP_MS = 3000;
    private static final long ECHO_HOLD_MS = 3000;

    @Test
    void sigtermDrainsHttpAndEchoSideBySide() throws Exception {
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), SlowHttpDemo.class.getName(),
                "--server.port=0", "--verypoll.server-defaults.port=0", "--spring.main.banner-mode=off",
                "--verypoll.shutdown-timeout=8s", "--spring.lifecycle.timeout-per-shutdown-phase=9s",
                "--verypoll.servers.echo.linger-timeout=8s", "--logging.level.root=warn")
                .redirectErrorStream(true).start();
        Map<String, Integer> ports = new ConcurrentHashMap<>();
        java.util.Deque<String> lastLines = new java.util.concurrent.ConcurrentLinkedDeque<>();
        java.util.concurrent.CountDownLatch slowStarted = new java.util.concurrent.CountDownLatch(1);
        Thread reader = new Thread(() -> readPorts(child.getInputStream(), ports, lastLines, slowStarted), "child-output");
        reader.setDaemon(true);
        reader.start();
        try {
            try {
                await().atMost(Duration.ofSeconds(60)).failFast("the child ended", () -> !child.isAlive())
                        .until(() -> ports.containsKey("http") && ports.containsKey("echo"));
            } catch (org.awaitility.core.ConditionTimeoutException | org.awaitility.core.TerminalFailureException e) {
                reader.join(2000);
                throw new AssertionError("the child did not publish its ports; its last output:\n"
                        + String.join("\n", lastLines), e);
            }
            HttpClient http = HttpClient.newHttpClient();
            CompletableFuture<HttpResponse<String>> slow = http.sendAsync(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + ports.get("http") + "/slow?ms=" + HTTP_MS)).build(),
                    HttpResponse.BodyHandlers.ofString());
            try (Socket echo = new Socket()) {
                echo.connect(new InetSocketAddress("127.0.0.1", ports.get("echo")), 5000);
                echo.setSoTimeout(20_000);
                echo.getOutputStream().write("in flight".getBytes(StandardCharsets.US_ASCII));
                assertThat(echo.getInputStream().readNBytes(9)).isEqualTo("in flight".getBytes(StandardCharsets.US_ASCII));
                // SIGTERM only once the HTTP request is in its handler (under load the client's first
                // connect can take longer than any fixed pause, and would then be refused).
                assertThat(slowStarted.await(20, TimeUnit.SECONDS)).as("the HTTP request reached its handler").isTrue();

                long start = System.nanoTime();
                child.destroy(); // SIGTERM

                // Accepting stops at once, while both drains run.
                await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> assertThatThrownBy(() -> {
                    try (Socket late = new Socket()) {
                        late.connect(new InetSocketAddress("127.0.0.1", ports.get("echo")), 500);
                    }
                }).isInstanceOf(IOException.class));
                assertThat(child.isAlive()).as("the drains are still running").isTrue();
                // The echo connection is told (end of stream) and closes after holding on a while.
                assertThat(echo.getInputStream().read()).isEqualTo(-1);
                Thread.sleep(ECHO_HOLD_MS - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                echo.close();
                assertThat(slow.get(20, TimeUnit.SECONDS).body()).isEqualTo("done");
                assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
                long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                // Side by side: about max(3 s, 3 s) plus the stop, well under their sum (6 s).
                assertThat(took).isBetween(ECHO_HOLD_MS - 500, HTTP_MS + ECHO_HOLD_MS - 1000);
            }
        } finally {
            child.destroyForcibly();
        }
    }

    private static void readPorts(InputStream output, Map<String, Integer> ports, java.util.Deque<String> last,
            java.util.concurrent.CountDownLatch slowStarted) {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(output, StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                last.addLast(line);
                if (last.size() > 40) {
                    last.pollFirst();
                }
                if (line.equals(SlowHttpDemo.SLOW_STARTED)) {
                    slowStarted.countDown();
                }
                if (line.startsWith("PORT ")) {
                    String[] parts = line.split(" ");
                    ports.put(parts[1], Integer.parseInt(parts[2]));
                }
            }
        } catch (IOException e) {
            // the child ended
        }
    }
}
