package io.verypoll.demo;

import io.verypoll.spring.boot.loop.PollLoop;
import io.verypoll.spring.boot.server.CloseReason;
import io.verypoll.spring.boot.server.ServerSettings;
import io.verypoll.spring.boot.server.TcpClient;
import io.verypoll.spring.boot.server.TcpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The demo's proxy (7011 in production) in front of its echo server, on random ports: the echo's stream
 * checks hold through it.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE, properties = {
        "verypoll.loops=2",
        "verypoll.shutdown-timeout=0s",
        "verypoll.servers.echo.port=0",
        "verypoll.servers.chat.port=0",
        "verypoll.servers.udp-echo.port=0",
        "verypoll.servers.tls-echo.port=0",
        "verypoll.servers.resp.port=0",
        "verypoll.servers.proxy.port=0"})
@Timeout(180)
class DemoProxyTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stopHelperThreads() {
        threads.shutdownNow();
    }

    @Value("${local.verypoll.proxy.port}")
    int proxyPort;

    @Value("${local.verypoll.echo.port}")
    int echoPort;

    @Autowired
    @Qualifier("proxy")
    TcpServer proxy;

    @Autowired
    @Qualifier("proxy-upstream")
    TcpClient upstream;

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), proxyPort), 5000);
        socket.setSoTimeout(30_000);
        return socket;
    }

    private void idle() {
        await().atMost(WAIT).until(() -> proxy.activeConnections() == 0 && upstream.activeConnections() == 0);
    }

    /** Writes {@code total} bytes of a seeded stream in 64 KiB chunks, digesting them; half-closes at the end. */
    private CompletableFuture<byte[]> writeStream(Socket socket, long total, long seed) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                Random random = new Random(seed);
                byte[] chunk = new byte[64 * 1024];
                OutputStream out = socket.getOutputStream();
                for (long sent = 0; sent < total; sent += chunk.length) {
                    random.nextBytes(chunk);
                    int n = (int) Math.min(chunk.length, total - sent);
                    out.write(chunk, 0, n);
                    sha.update(chunk, 0, n);
                }
                socket.shutdownOutput();
                return sha.digest();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, threads);
    }

    @Test
    void oneMebibyteComesBackIntactThroughTheProxy() throws Exception {
        byte[] sent = new byte[1024 * 1024];
        new Random(3).nextBytes(sent);
        try (Socket socket = connect()) {
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    socket.getOutputStream().write(sent);
                    socket.shutdownOutput();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, threads);
            byte[] received = socket.getInputStream().readAllBytes();
            writer.get(30, TimeUnit.SECONDS);
            assertThat(received).isEqualTo(sent);
        }
        idle();
        assertThat(upstream.settings().port()).as("the upstream is the echo server").isEqualTo(echoPort);
    }

    @Test
    void aHalfCloseGoesThroughAndTheAnswerStillComesBack() throws Exception {
        try (Socket socket = connect()) {
            socket.getOutputStream().write("half".getBytes(StandardCharsets.UTF_8));
            socket.shutdownOutput();
            assertThat(new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("half");
        }
        idle();
    }

    @Test
    void aResetMidStreamClosesBothSidesOfTheProxy() throws Exception {
        long resetBefore = proxy.closedConnections(CloseReason.IO_ERROR);
        long upstreamClosedBefore = upstream.closedConnections(CloseReason.LOCAL);
        Socket socket = connect();
        OutputStream out = socket.getOutputStream();
        byte[] chunk = new byte[64 * 1024];
        for (int i = 0; i < 16; i++) {
            out.write(chunk); // nobody reads the echo: unread input makes the close below a reset
        }
        await().atMost(WAIT).until(() -> upstream.activeConnections() == 1);
        socket.setSoLinger(true, 0);
        socket.close();
        idle();
        assertThat(proxy.closedConnections(CloseReason.IO_ERROR)).isEqualTo(resetBefore + 1);
        assertThat(upstream.closedConnections(CloseReason.LOCAL)).as("closed at once after the reset")
                .isEqualTo(upstreamClosedBefore + 1);
    }

    /** Reads everything at {@code bytesPerSecond}, digesting it, sampling what the proxy holds after each read. */
    private byte[] readSlowly(InputStream in, long bytesPerSecond, AtomicLong maxHeld, long[] count) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[32 * 1024];
        long start = System.nanoTime();
        long received = 0;
        int n;
        while ((n = in.read(buffer)) >= 0) {
            sha.update(buffer, 0, n);
            received += n;
            maxHeld.accumulateAndGet(proxy.pendingBytes() + upstream.pendingBytes(), Math::max);
            long aheadNanos = TimeUnit.SECONDS.toNanos(received) / bytesPerSecond - (System.nanoTime() - start);
            if (aheadNanos > 0) {
                TimeUnit.NANOSECONDS.sleep(aheadNanos); // pacing: a slow reader, not a synchronisation
            }
        }
        count[0] = received;
        return sha.digest();
    }

    /** At most a watermark and one read per proxy connection (both directions), however big the stream. */
    private static long proxyBound() {
        return 2L * 2 * (ServerSettings.defaults().highWatermark() + PollLoop.READ_BUFFER_SIZE);
    }

    @Test
    void aSlowReaderGetsEverythingAndTheProxyHoldsBoundedMemory() throws Exception {
        AtomicLong maxHeld = new AtomicLong();
        long size = 8L * 1024 * 1024;
        try (Socket socket = connect()) {
            socket.setReceiveBufferSize(32 * 1024);
            CompletableFuture<byte[]> writer = writeStream(socket, size, 17);
            long[] count = new long[1];
            byte[] digest = readSlowly(socket.getInputStream(), 4L * 1024 * 1024, maxHeld, count);
            assertThat(count[0]).isEqualTo(size);
            assertThat(digest).isEqualTo(writer.get(30, TimeUnit.SECONDS));
        }
        assertThat(maxHeld.get()).isPositive().isLessThanOrEqualTo(proxyBound());
        idle();
    }

    // 100 MiB through the proxy and back, with a reader slower than the writer: every byte intact
    // (SHA-256 of both streams) while the proxy holds a bounded amount.
    @Test
    void hundredMebibytesIntactWithASlowReaderAndBoundedMemory() throws Exception {
        AtomicLong maxHeld = new AtomicLong();
        long size = 100L * 1024 * 1024;
        try (Socket socket = connect()) {
            socket.setReceiveBufferSize(64 * 1024);
            CompletableFuture<byte[]> writer = writeStream(socket, size, 23);
            long[] count = new long[1];
            byte[] digest = readSlowly(socket.getInputStream(), 40L * 1024 * 1024, maxHeld, count);
            assertThat(count[0]).isEqualTo(size);
            assertThat(digest).isEqualTo(writer.get(60, TimeUnit.SECONDS));
        }
        assertThat(maxHeld.get()).isPositive().isLessThanOrEqualTo(proxyBound());
        idle();
    }
}
