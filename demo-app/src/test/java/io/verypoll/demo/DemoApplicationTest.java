package io.verypoll.demo;

import io.verypoll.spring.boot.server.CloseReason;
import io.verypoll.spring.boot.server.TcpServer;
import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The demo over real TCP, UDP and HTTP on random ports. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "verypoll.loops=2",
        "verypoll.shutdown-timeout=0s",
        "verypoll.servers.echo.port=0",
        "verypoll.servers.chat.port=0",
        "verypoll.servers.udp-echo.port=0",
        "verypoll.servers.tls-echo.port=0",
        "verypoll.servers.resp.port=0",
        "verypoll.servers.proxy.port=0",
        // A small cap so that the slow-reader test is quick.
        "verypoll.servers.chat.max-pending-bytes=256KB",
        "verypoll.servers.chat.high-watermark=64KB",
        "verypoll.servers.chat.low-watermark=16KB"})
@Timeout(120)
class DemoApplicationTest {

    // Own threads for blocking helpers: the common pool may have a single thread on two cores.
    private final java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newCachedThreadPool();

    @AfterEach
    void stopHelperThreads() {
        threads.shutdownNow();
    }

    @Value("${local.server.port}")
    int httpPort;

    @Value("${local.verypoll.echo.port}")
    int echoPort;

    @Value("${local.verypoll.chat.port}")
    int chatPort;

    @Value("${local.verypoll.udp-echo.port}")
    int udpPort;

    @Value("${local.verypoll.tls-echo.port}")
    int tlsPort;

    @Autowired
    @Qualifier("chat")
    TcpServer chat;

    @Autowired
    ChatRoom room;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static Socket connect(int port) throws Exception {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    private static BufferedReader lines(Socket socket) throws Exception {
        return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    }

    private String get(String path) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(path).isEqualTo(200);
        return response.body();
    }

    // O-BYTES: 1 MiB through the echo server, compared byte for byte (and by digest).
    @Test
    void echoesOneMebibyteWithEveryByteChecked() throws Exception {
        byte[] sent = new byte[1024 * 1024];
        new Random(7).nextBytes(sent);
        try (Socket socket = connect(echoPort)) {
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    for (int i = 0; i < sent.length; i += 16 * 1024) {
                        out.write(sent, i, Math.min(16 * 1024, sent.length - i));
                    }
                    socket.shutdownOutput();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, threads);
            byte[] received = socket.getInputStream().readAllBytes();
            writer.get(30, TimeUnit.SECONDS);
            assertThat(received).hasSize(sent.length);
            assertThat(Arrays.mismatch(received, sent)).isEqualTo(-1);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            assertThat(sha.digest(received)).isEqualTo(MessageDigest.getInstance("SHA-256").digest(sent));
        }
    }

    // The TLS echo, trusting the demo's throwaway certificate: 1 MiB intact, over TLS 1.3.
    @Test
    void tlsEchoesOneMebibyteWithTheDemoCertificate() throws Exception {
        javax.net.ssl.SSLContext trust = org.springframework.boot.ssl.SslBundle.of(
                new org.springframework.boot.ssl.pem.PemSslStoreBundle(null,
                        org.springframework.boot.ssl.pem.PemSslStoreDetails.forCertificate("classpath:demo-tls/localhost.crt")))
                .createSslContext();
        byte[] sent = new byte[1024 * 1024];
        new Random(11).nextBytes(sent);
        try (javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) trust.getSocketFactory()
                .createSocket("localhost", tlsPort)) {
            socket.setSoTimeout(10_000);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    socket.getOutputStream().write(sent);
                    socket.getOutputStream().flush();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, threads);
            byte[] received = socket.getInputStream().readNBytes(sent.length);
            writer.get(30, TimeUnit.SECONDS);
            assertThat(Arrays.mismatch(received, sent)).isEqualTo(-1);
            assertThat(socket.getSession().getProtocol()).isEqualTo("TLSv1.3");
        }
    }

    @Test
    void chatLineReachesClientsOnEveryLoop() throws Exception {
        List<Socket> sockets = new ArrayList<>();
        List<BufferedReader> readers = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                Socket socket = connect(chatPort);
                sockets.add(socket);
                BufferedReader reader = lines(socket);
                readers.add(reader);
                assertThat(reader.readLine()).startsWith("* welcome user-");
            }
            // Three accepts in a row go to both loops: the line must cross loops to reach everyone.
            await().atMost(Duration.ofSeconds(5)).until(() -> room.membersPerLoop().stream().allMatch(n -> n >= 1));
            sockets.get(0).getOutputStream().write("hello from the first\n".getBytes(StandardCharsets.UTF_8));
            for (BufferedReader reader : readers) {
                assertThat(reader.readLine()).matches("user-\\d+: hello from the first");
            }
        } finally {
            for (Socket socket : sockets) {
                socket.close();
            }
        }
    }

    // The line decoder's limit: the sender is told, the line is not broadcast (nor anything after
    // it), and the connection closes with frame-too-long.
    @Test
    void overLongLineGetsAnErrorIsNotBroadcastAndClosesTheConnection() throws Exception {
        long before = chat.closedConnections(CloseReason.FRAME_TOO_LONG);
        try (Socket talker = connect(chatPort); Socket listener = connect(chatPort)) {
            BufferedReader talkerIn = lines(talker);
            BufferedReader listenerIn = lines(listener);
            assertThat(talkerIn.readLine()).startsWith("* welcome");
            assertThat(listenerIn.readLine()).startsWith("* welcome");
            await().atMost(Duration.ofSeconds(5)).until(() -> chat.activeConnections() >= 2);
            String tooLong = "x".repeat(1500);
            talker.getOutputStream().write((tooLong + "\nshort one\n").getBytes(StandardCharsets.UTF_8));
            assertThat(talkerIn.readLine()).isEqualTo("! line too long, max 1024 bytes; not sent, closing");
            assertThat(talkerIn.readLine()).as("closed after the error line").isNull();
            talker.close();
            await().atMost(Duration.ofSeconds(5)).until(() -> chat.closedConnections(CloseReason.FRAME_TOO_LONG) == before + 1);
            // The listener's next line is its own: neither the long line nor the one after it went out.
            listener.getOutputStream().write("after that\n".getBytes(StandardCharsets.UTF_8));
            assertThat(listenerIn.readLine()).matches("user-\\d+: after that");
        }
    }

    // O-MEM: a member that never reads is cut off at the pending-bytes cap; the server never holds
    // more than the cap for it, and the other members keep talking.
    @Test
    void slowReaderIsCutOffAtTheCap() throws Exception {
        long cutOffBefore = chat.closedConnections(CloseReason.PENDING_CAP);
        Socket slow = new Socket();
        slow.setReceiveBufferSize(4096);
        slow.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), chatPort), 5000);
        slow.setSoTimeout(10_000);
        try (slow; Socket fast = connect(chatPort)) {
            BufferedReader slowIn = lines(slow);
            assertThat(slowIn.readLine()).startsWith("* welcome");
            BufferedReader fastIn = lines(fast);
            assertThat(fastIn.readLine()).startsWith("* welcome");
            AtomicLong fastLines = new AtomicLong();
            AtomicBoolean stop = new AtomicBoolean();
            Thread drain = new Thread(() -> {
                try {
                    while (!stop.get() && fastIn.readLine() != null) {
                        fastLines.incrementAndGet();
                    }
                } catch (Exception e) {
                    // closed at the end of the test
                }
            });
            drain.start();
            byte[] line = ("y".repeat(1000) + "\n").getBytes(StandardCharsets.UTF_8);
            OutputStream out = fast.getOutputStream();
            long maxPending = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            int sent = 0;
            while (chat.closedConnections(CloseReason.PENDING_CAP) == cutOffBefore && sent < 100_000
                    && System.nanoTime() < deadline) {
                out.write(line);
                sent++;
                maxPending = Math.max(maxPending, chat.pendingBytes());
            }
            assertThat(chat.closedConnections(CloseReason.PENDING_CAP)).isEqualTo(cutOffBefore + 1);
            assertThat(maxPending).isLessThanOrEqualTo(256 * 1024);
            // The fast member is still in the conversation.
            out.write("still here\n".getBytes(StandardCharsets.UTF_8));
            long seen = fastLines.get();
            await().atMost(Duration.ofSeconds(10)).until(() -> fastLines.get() > seen);
            stop.set(true);
            fast.close();
            drain.join(5000);
        }
    }

    @Test
    void udpEchoAnswersEachDatagram() throws Exception {
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            socket.setSoTimeout(5000);
            for (int i = 0; i < 3; i++) {
                byte[] payload = ("ping " + i).getBytes(StandardCharsets.UTF_8);
                socket.send(new DatagramPacket(payload, payload.length, InetAddress.getLoopbackAddress(), udpPort));
                DatagramPacket reply = new DatagramPacket(new byte[64], 64);
                socket.receive(reply);
                assertThat(new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8)).isEqualTo("ping " + i);
            }
        }
    }

    @Test
    void metersArePublishedWithSaneValues() throws Exception {
        try (Socket socket = connect(echoPort)) {
            socket.getOutputStream().write("meter me".getBytes(StandardCharsets.UTF_8));
            assertThat(socket.getInputStream().readNBytes(8)).hasSize(8);
        }
        String events = get("/actuator/metrics/verypoll.loop.events");
        assertThat(JsonPath.<List<String>>read(events, "$.availableTags[?(@.tag=='loop')].values[*]"))
                .containsExactlyInAnyOrder("0", "1");
        assertThat(JsonPath.<Double>read(events, "$.measurements[0].value")).isGreaterThan(0);
        String accepted = get("/actuator/metrics/verypoll.connections.accepted?tag=server:echo");
        assertThat(JsonPath.<Double>read(accepted, "$.measurements[0].value")).isGreaterThanOrEqualTo(1);
        String received = get("/actuator/metrics/verypoll.data.received?tag=server:echo");
        assertThat(JsonPath.<String>read(received, "$.baseUnit")).isEqualTo("bytes");
        assertThat(JsonPath.<Double>read(received, "$.measurements[0].value")).isGreaterThanOrEqualTo(8);
        String wait = get("/actuator/metrics/verypoll.loop.wait");
        assertThat(JsonPath.<List<String>>read(wait, "$.measurements[*].statistic")).contains("COUNT", "TOTAL_TIME");
        for (String name : List.of("verypoll.loop.cycle", "verypoll.loop.cycle.max", "verypoll.loop.cycle.histogram",
                "verypoll.loop.wait.max", "verypoll.loop.wakeups", "verypoll.loop.tasks.pending",
                "verypoll.loop.registrations", "verypoll.loop.blocked", "verypoll.loop.handler.errors",
                "verypoll.connections.active", "verypoll.connections.rejected", "verypoll.data.sent",
                "verypoll.data.pending", "verypoll.handler.errors")) {
            get("/actuator/metrics/" + name);
        }
        String registrations = get("/actuator/metrics/verypoll.loop.registrations");
        // Four servers are registered somewhere on the two loops.
        assertThat(JsonPath.<Double>read(registrations, "$.measurements[0].value")).isGreaterThanOrEqualTo(4);
        String prometheus = get("/actuator/prometheus");
        assertThat(prometheus).contains("verypoll_loop_events_total{loop=\"0\"}")
                .contains("verypoll_connections_accepted_total{server=\"echo\"}")
                .contains("verypoll_data_received_bytes_total{server=\"echo\"}")
                .contains("verypoll_data_pending_bytes{server=\"echo\"}")
                .contains("verypoll_loop_cycle_max_seconds{loop=\"0\"}")
                .contains("verypoll_loop_cycle_histogram_total{le=\"+Inf\",loop=\"0\"}")
                // Present at 0 before any error, so that increase() sees the first one.
                .contains("verypoll_handler_errors_total{server=\"udp-echo\"} 0.0")
                .contains("verypoll_loop_handler_errors_total{loop=\"0\"} 0.0")
                .doesNotContain("verypoll_connections_active{server=\"udp-echo\"}")
                // The proxy's upstream client, under its own names (one set of tag keys per name).
                .contains("verypoll_client_connects_total{client=\"proxy-upstream\"}")
                .contains("verypoll_client_link_connected{client=\"proxy-upstream\"} 0.0")
                .contains("verypoll_client_connections_closed_total{client=\"proxy-upstream\",reason=\"connect-refused\"} 0.0");
    }

    @Test
    void healthIsUpWithTheVerypollComponent() throws Exception {
        String health = get("/actuator/health");
        assertThat(JsonPath.<String>read(health, "$.status")).isEqualTo("UP");
        assertThat(JsonPath.<String>read(health, "$.components.verypoll.status")).isEqualTo("UP");
        assertThat(JsonPath.<List<String>>read(health, "$.components.verypoll.details.loops[*].thread"))
                .containsExactly("verypoll-loop-0", "verypoll-loop-1");
    }

    @Test
    void theReadinessProbeIncludesVerypoll() throws Exception {
        String readiness = get("/actuator/health/readiness");
        assertThat(JsonPath.<String>read(readiness, "$.status")).isEqualTo("UP");
        assertThat(JsonPath.<String>read(readiness, "$.components.verypoll.status")).isEqualTo("UP");
        assertThat(JsonPath.<String>read(readiness, "$.components.readinessState.status")).isEqualTo("UP");
    }

    @Test
    void endpointListsServersAndLoops() throws Exception {
        String body = get("/actuator/verypoll");
        assertThat(JsonPath.<String>read(body, "$.state")).isEqualTo("running");
        assertThat(JsonPath.<List<String>>read(body, "$.loops[*].thread")).containsExactly("verypoll-loop-0", "verypoll-loop-1");
        assertThat(JsonPath.<List<String>>read(body, "$.servers[*].name")).containsExactlyInAnyOrder("echo", "chat", "udp-echo",
                "tls-echo", "resp", "proxy");
        assertThat(JsonPath.<List<String>>read(body, "$.clients[*].name")).containsExactly("proxy-upstream");
        assertThat(JsonPath.<List<String>>read(body, "$.clients[*].target")).containsExactly("127.0.0.1:" + echoPort);
        assertThat(JsonPath.<List<String>>read(body, "$.clients[*].link")).containsExactly("none");
        assertThat(JsonPath.<List<Integer>>read(body, "$.servers[?(@.name=='echo')].port")).containsExactly(echoPort);
        assertThat(JsonPath.<List<Integer>>read(body, "$.servers[?(@.name=='udp-echo')].port")).containsExactly(udpPort);
        assertThat(JsonPath.<List<String>>read(body, "$.servers[?(@.name=='chat')].protocol")).containsExactly("tcp");
        // The settings each server runs with: the test's 256KB cap over the bean's 1 MiB, durations as ISO text.
        assertThat(JsonPath.<List<Object>>read(body, "$.servers[?(@.name=='chat')].settings['max-pending-bytes']"))
                .containsExactly(262144);
        assertThat(JsonPath.<List<Object>>read(body, "$.servers[?(@.name=='chat')].settings['idle-timeout']"))
                .containsExactly("PT1M");
    }

}
