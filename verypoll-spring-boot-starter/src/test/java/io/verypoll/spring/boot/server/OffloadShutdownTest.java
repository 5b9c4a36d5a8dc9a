package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.frame.FrameDecoders;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The shutdown rule for offloaded work: a graceful drain waits for the replies still due (the
 * connection closes once they are sent); at the shutdown timeout running work is interrupted, what
 * was not replied is dropped and counted, and the close counts as forced. Also: a server without an
 * executor runs work on a pool of its own, gone once the server stops.
 */
@Timeout(60)
class OffloadShutdownTest {

    private static final Duration WAIT = Duration.ofSeconds(15);

    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(1, 256, Duration.ofSeconds(2), Duration.ofMillis(200), 1024, 65_536));
    private final CountDownLatch gate = new CountDownLatch(1);
    private final AtomicInteger started = new AtomicInteger();
    private final AtomicInteger interrupted = new AtomicInteger();
    private TcpServer server;

    @AfterEach
    void stop() {
        gate.countDown();
        if (server != null) {
            server.stopAccepting(Duration.ofSeconds(2));
            server.forceClose(Duration.ofSeconds(2));
        }
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
    }

    /** Lines offloaded to the server's own pool; the work waits for the gate (20 s at most), noting an interrupt. */
    private void start() throws IOException {
        server = TcpServer.builder().name("draining").port(0).decoder(FrameDecoders.lines(64)).messageHandler((c, line) -> {
            String request = StandardCharsets.US_ASCII.decode(line).toString();
            c.offload(() -> {
                started.incrementAndGet();
                try {
                    gate.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    interrupted.incrementAndGet();
                    throw e;
                }
                return request;
            }, (conn, value) -> conn.write(ByteBuffer.wrap((value + "\n").getBytes(StandardCharsets.US_ASCII))));
        }).build();
        server.start(group);
    }

    private Socket connectAndAsk(String lines, int work) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
        socket.setSoTimeout(20_000);
        socket.getOutputStream().write(lines.getBytes(StandardCharsets.US_ASCII));
        await().atMost(WAIT).until(() -> started.get() == work);
        return socket;
    }

    @Test
    void aGracefulDrainWaitsForTheRepliesStillDueThenCloses() throws Exception {
        start();
        assertThat(server.offloadExecutor()).as("no executor given: the server's own pool").isNull();
        try (Socket socket = connectAndAsk("a\nb\n", 2)) {
            server.stopAccepting(Duration.ofSeconds(2));
            server.beginDrain();
            await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> server.activeConnections() == 1);
            gate.countDown();
            String all = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(all).isEqualTo("a\nb\n");
        }
        await().atMost(WAIT).until(() -> server.closedConnections(CloseReason.SHUTDOWN) == 1);
        assertThat(server.forceClose(Duration.ofSeconds(2))).isZero();
        assertThat(server.offloadsDropped()).isZero();
    }

    @Test
    void atTheShutdownTimeoutRunningWorkIsInterruptedItsResultsDroppedAndThePoolGone() throws Exception {
        start();
        try (Socket socket = connectAndAsk("a\nb\n", 2)) {
            assertThat(offloadThreads()).as("the server's own pool runs the work").isEqualTo(2);
            server.stopAccepting(Duration.ofSeconds(2));
            server.beginDrain();
            await().during(Duration.ofMillis(200)).atMost(WAIT).until(() -> server.activeConnections() == 1);

            assertThat(server.forceClose(Duration.ofSeconds(5))).as("closed by force").isOne();

            assertThat(interrupted).hasValue(2);
            assertThat(server.offloadsDropped()).isEqualTo(2);
            assertThat(server.closedConnections(CloseReason.SHUTDOWN_FORCED)).isOne();
            assertThat(socket.getInputStream().read()).as("nothing was replied").isEqualTo(-1);
        }
        await().atMost(WAIT).until(() -> offloadThreads() == 0); // the pool ended with the server
    }

    private static long offloadThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("verypoll-offload-draining-")).count();
    }
}
