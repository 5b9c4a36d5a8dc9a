package io.verypoll.demo;

import com.jayway.jsonpath.JsonPath;
import io.verypoll.demochild.SlowHttpDemo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The demo, as a process of its own, on each backend chosen by {@code --verypoll.backend}: TCP and
 * UDP echo answer, and the actuator endpoint and the health details name the backend. A JVM has one
 * backend, so each run is a child JVM: NIO on the JDK Maven runs on, epoll on a JDK 22+ found on the
 * machine with {@code --enable-native-access=ALL-UNNAMED} (as the demo jar's manifest grants it).
 */
@Timeout(240)
class DemoBackendsTest {

    @Test
    void theDemoRunsOnNio() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        runDemo(java, List.of(), "nio");
    }

    @Test
    void theDemoRunsOnEpoll() throws Exception {
        assumeTrue(DemoBackendsTest.class.getClassLoader().getResource("META-INF/services/io.verypoll.spi.Backend") != null,
                "the epoll backend is not on the test class path (verypoll-epoll was skipped: no JDK 22+ at build time)");
        Path jdk = Jdk22.find();
        assumeTrue(jdk != null, "no JDK 22 or later found (JAVA_HOME, JAVA*_HOME, /usr/lib/jvm, ~/.sdkman, -Dverypoll.test.jdk22):"
                + " the demo on epoll is not tested here");
        runDemo(jdk.resolve("bin").resolve("java").toString(), List.of("--enable-native-access=ALL-UNNAMED"), "epoll");
    }

    private static void runDemo(String java, List<String> jvmArgs, String backend) throws Exception {
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(jvmArgs);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), SlowHttpDemo.class.getName(),
                "--verypoll.backend=" + backend, "--server.port=0", "--verypoll.server-defaults.port=0",
                "--verypoll.loops=2", "--spring.main.banner-mode=off", "--verypoll.shutdown-timeout=0s",
                "--logging.level.root=warn", "--logging.level.io.verypoll.spring.boot.context.VerypollBackendSelector=info"));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        Map<String, Integer> ports = new ConcurrentHashMap<>();
        Deque<String> output = new ConcurrentLinkedDeque<>();
        Thread reader = new Thread(() -> read(child, ports, output), "demo-output");
        reader.setDaemon(true);
        reader.start();
        try {
            await().atMost(Duration.ofSeconds(150)).failFast("the demo ended: " + output, () -> !child.isAlive())
                    .until(() -> ports.keySet().containsAll(List.of("http", "echo", "udp-echo")));

            tcpEcho(ports.get("echo"));
            udpEcho(ports.get("udp-echo"));

            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20)).build();
            String report = get(http, ports.get("http"), "/actuator/verypoll");
            assertThat((String) JsonPath.read(report, "$.backend")).as(report).isEqualTo(backend);
            assertThat((String) JsonPath.read(report, "$.state")).isEqualTo("running");
            String health = get(http, ports.get("http"), "/actuator/health");
            assertThat((String) JsonPath.read(health, "$.components.verypoll.details.backend")).as(health).isEqualTo(backend);
            assertThat((String) JsonPath.read(health, "$.components.verypoll.status")).isEqualTo("UP");
            assertThat(String.join("\n", output)).contains("verypoll backend: " + backend)
                    .doesNotContain("WARNING: A restricted method");

            child.destroy(); // SIGTERM: the demo stops on its own
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("the demo exits after SIGTERM").isTrue();
        } finally {
            child.destroyForcibly();
        }
    }

    private static void tcpEcho(int port) throws IOException {
        byte[] message = new byte[64 * 1024];
        for (int i = 0; i < message.length; i++) {
            message[i] = (byte) (i * 31);
        }
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 20_000);
            socket.setSoTimeout(30_000);
            Thread writer = new Thread(() -> {
                try {
                    socket.getOutputStream().write(message);
                } catch (IOException e) {
                    // the read below fails then
                }
            }, "echo-writer");
            writer.start();
            assertThat(socket.getInputStream().readNBytes(message.length)).isEqualTo(message);
        }
    }

    private static void udpEcho(int port) throws IOException {
        byte[] payload = "datagram".getBytes(StandardCharsets.US_ASCII);
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            socket.setSoTimeout(2_000);
            // UDP may drop: resend, bounded, until one answer comes back.
            for (int attempt = 0; ; attempt++) {
                socket.send(new DatagramPacket(payload, payload.length, InetAddress.getLoopbackAddress(), port));
                DatagramPacket reply = new DatagramPacket(new byte[64], 64);
                try {
                    socket.receive(reply);
                    assertThat(new String(reply.getData(), 0, reply.getLength(), StandardCharsets.US_ASCII)).isEqualTo("datagram");
                    return;
                } catch (SocketTimeoutException e) {
                    assertThat(attempt).as("answers to UDP echo").isLessThan(10);
                }
            }
        }
    }

    private static String get(HttpClient http, int port, String path) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
        return response.body();
    }

    private static void read(Process child, Map<String, Integer> ports, Deque<String> output) {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                output.addLast(line);
                if (output.size() > 60) {
                    output.pollFirst();
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
