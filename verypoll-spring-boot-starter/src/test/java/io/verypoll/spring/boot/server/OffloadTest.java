package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.frame.FrameDecoders;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Ordered offload on real connections: replies in request order under random completion order; the
 * in-flight bound holds reading and releases it; a close waits for the replies due, an abortive one
 * drops them (counted); work that fails closes the connection or replies in its turn.
 */
@Timeout(60)
class OffloadTest {

    private static final Duration WAIT = Duration.ofSeconds(15);

    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(2, 256, Duration.ofSeconds(2), Duration.ofMillis(200), 1024, 65_536));
    private final ExecutorService workers = Executors.newFixedThreadPool(8);
    /** Work that waits for it blocks until the test opens it (bounded: 20 s). */
    private final CountDownLatch gate = new CountDownLatch(1);
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger mostRunning = new AtomicInteger();
    private final AtomicInteger startedWork = new AtomicInteger();
    private final AtomicInteger delivered = new AtomicInteger();
    private final List<Integer> completed = new CopyOnWriteArrayList<>();
    private TcpServer server;

    @AfterEach
    void stop() {
        gate.countDown();
        if (server != null) {
            server.stopAccepting(Duration.ofSeconds(2));
            server.forceClose(Duration.ofSeconds(2));
        }
        workers.shutdownNow();
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
    }

    /** A line server: each line is a number n, offloaded to work that returns it; the reply is the line "n". */
    private void start(TcpServer.Builder builder, boolean waitForGate) throws IOException {
        server = builder.name("offload").port(0).decoder(FrameDecoders.lines(64)).offloadExecutor(workers)
                .messageHandler((c, line) -> {
                    delivered.incrementAndGet();
                    String request = StandardCharsets.US_ASCII.decode(line).toString();
                    c.offload(() -> work(request, waitForGate), OffloadTest::replyLine);
                }).build();
        server.start(group);
    }

    private String work(String request, boolean waitForGate) throws Exception {
        startedWork.incrementAndGet();
        mostRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
        try {
            if (waitForGate) {
                assertThat(gate.await(20, TimeUnit.SECONDS)).as("the test opens the gate").isTrue();
            } else {
                // Random service times, so that work completes out of order (load shaping).
                TimeUnit.MICROSECONDS.sleep(ThreadLocalRandom.current().nextInt(3_000));
            }
            if (request.equals("bad")) {
                throw new IllegalStateException("the work failed, on purpose");
            }
            completed.add(Integer.parseInt(request));
            return request;
        } finally {
            running.decrementAndGet();
        }
    }

    private static void replyLine(Connection c, String value) {
        c.write(ByteBuffer.wrap((value + "\n").getBytes(StandardCharsets.US_ASCII)));
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
        socket.setSoTimeout(20_000);
        return socket;
    }

    private static String numbered(int from, int to) {
        StringBuilder text = new StringBuilder();
        for (int i = from; i < to; i++) {
            text.append(i).append('\n');
        }
        return text.toString();
    }

    private static List<String> lines(Socket socket, int count) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            lines.add(in.readLine());
        }
        return lines;
    }

    @Test
    void aThousandPipelinedRequestsGetTheirRepliesInOrderThoughTheWorkCompletesOutOfOrder() throws Exception {
        start(TcpServer.builder(), false);
        try (Socket socket = connect()) {
            socket.getOutputStream().write(numbered(0, 1000).getBytes(StandardCharsets.US_ASCII));
            List<String> replies = lines(socket, 1000);
            assertThat(replies).containsExactlyElementsOf(numbered(0, 1000).lines().toList());
        }
        List<Integer> inOrder = new ArrayList<>(completed);
        inOrder.sort(null);
        assertThat(completed).as("the work really completed out of order").hasSize(1000).isNotEqualTo(inOrder);
        assertThat(mostRunning.get()).as("max-in-flight 16 by default").isLessThanOrEqualTo(16).isGreaterThan(1);
        await().atMost(WAIT).until(() -> server.offloadsInFlight() == 0);
        assertThat(server.offloadsDropped()).isZero();
    }

    @Test
    void theInFlightBoundHoldsReadingAndReleasesItOnceRepliesGoOut() throws Exception {
        start(TcpServer.builder().maxInFlight(4), true);
        try (Socket socket = connect()) {
            socket.getOutputStream().write(numbered(0, 20).getBytes(StandardCharsets.US_ASCII));
            await().atMost(WAIT).until(() -> startedWork.get() == 4);
            // Held: no fifth frame is delivered however long the work takes.
            await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> delivered.get() == 4 && startedWork.get() == 4);
            assertThat(server.offloadsInFlight()).isEqualTo(4);
            gate.countDown();
            assertThat(lines(socket, 20)).containsExactlyElementsOf(numbered(0, 20).lines().toList());
        }
        assertThat(delivered).as("reading resumed").hasValue(20);
        assertThat(mostRunning.get()).isLessThanOrEqualTo(4);
    }

    @Test
    void workOffloadedBeyondTheBoundFromOneMessageWaitsToStart() throws Exception {
        server = TcpServer.builder().name("offload").port(0).maxInFlight(2).offloadExecutor(workers)
                .decoder(FrameDecoders.lines(64)).messageHandler((c, line) -> {
                    for (int i = 0; i < 5; i++) {
                        String n = Integer.toString(i);
                        c.offload(() -> work(n, true), OffloadTest::replyLine);
                    }
                }).build();
        server.start(group);
        try (Socket socket = connect()) {
            socket.getOutputStream().write("go\n".getBytes(StandardCharsets.US_ASCII));
            await().atMost(WAIT).until(() -> startedWork.get() == 2);
            await().during(Duration.ofMillis(200)).atMost(WAIT).until(() -> startedWork.get() == 2);
            assertThat(server.offloadsInFlight()).as("two running, three waiting").isEqualTo(5);
            gate.countDown();
            assertThat(lines(socket, 5)).containsExactly("0", "1", "2", "3", "4");
        }
        assertThat(mostRunning.get()).isEqualTo(2);
    }

    @Test
    void aConnectionClosedWithWorkInFlightDropsTheLateResultsAndCountsThem() throws Exception {
        AtomicInteger replied = new AtomicInteger();
        // Held at the bound, the connection reads nothing: the idle timeout is what closes it here.
        server = TcpServer.builder().name("offload").port(0).maxInFlight(2).idleTimeout(Duration.ofMillis(300))
                .offloadExecutor(workers).decoder(FrameDecoders.lines(64)).messageHandler((c, line) -> {
                    for (int i = 0; i < 3; i++) {
                        String n = Integer.toString(i);
                        c.offload(() -> work(n, true), (conn, value) -> replied.incrementAndGet());
                    }
                }).build();
        server.start(group);
        try (Socket socket = connect()) {
            socket.getOutputStream().write("go\n".getBytes(StandardCharsets.US_ASCII));
            await().atMost(WAIT).until(() -> server.closedConnections(CloseReason.IDLE_TIMEOUT) == 1);
        }
        assertThat(startedWork).hasValue(2);
        assertThat(server.offloadsDropped()).as("two running, one waiting").isEqualTo(3);
        assertThat(server.offloadsInFlight()).isZero();
        gate.countDown();
        await().atMost(WAIT).until(() -> completed.size() == 2);
        // The late results reach a closed connection: nothing replies, nothing throws, the waiting one never ran.
        await().during(Duration.ofMillis(200)).atMost(WAIT).until(() -> replied.get() == 0 && startedWork.get() == 2);
        assertThat(server.handlerErrors()).isZero();
        assertThat(group.loops()).allSatisfy(loop -> assertThat(loop.stats().handlerErrors()).isZero());
    }

    @Test
    void aResetWithWorkInFlightDropsItsResult() throws Exception {
        start(TcpServer.builder(), true);
        try (Socket socket = connect()) {
            socket.getOutputStream().write("7\n".getBytes(StandardCharsets.US_ASCII));
            await().atMost(WAIT).until(() -> startedWork.get() == 1);
            socket.setSoLinger(true, 0); // the close resets the connection
        }
        await().atMost(WAIT).until(() -> server.closedConnections(CloseReason.IO_ERROR) == 1);
        assertThat(server.offloadsDropped()).isOne();
        gate.countDown();
        await().atMost(WAIT).until(() -> completed.size() == 1);
        assertThat(server.handlerErrors()).isZero();
    }

    @Test
    void aPeerThatEndsItsSideGetsTheRepliesStillDueThenTheEndOfStream() throws Exception {
        start(TcpServer.builder(), true);
        try (Socket socket = connect()) {
            socket.getOutputStream().write(numbered(0, 3).getBytes(StandardCharsets.US_ASCII));
            await().atMost(WAIT).until(() -> startedWork.get() == 3);
            socket.shutdownOutput(); // the default onReadClosed closes gracefully: it waits for the replies
            await().during(Duration.ofMillis(200)).atMost(WAIT).until(() -> server.activeConnections() == 1);
            gate.countDown();
            String all = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(all).isEqualTo("0\n1\n2\n");
        }
        await().atMost(WAIT).until(() -> server.closedConnections(CloseReason.PEER_CLOSED) == 1);
        assertThat(server.offloadsDropped()).isZero();
    }

    @Test
    void anOutputShutdownWaitsForTheRepliesStillDueAndReadingGoesOnAfterIt() throws Exception {
        List<Boolean> taken = new CopyOnWriteArrayList<>();
        server = TcpServer.builder().name("half").port(0).maxInFlight(1).offloadExecutor(workers)
                .decoder(FrameDecoders.lines(64)).messageHandler((c, line) -> {
                    delivered.incrementAndGet();
                    String request = StandardCharsets.US_ASCII.decode(line).toString();
                    taken.add(c.offload(() -> work(request, true), OffloadTest::replyLine));
                    c.shutdownOutput(); // held at the bound of 1, and the reply still due
                }).build();
        server.start(group);
        try (Socket socket = connect()) {
            socket.getOutputStream().write("5\n".getBytes(StandardCharsets.US_ASCII));
            await().atMost(WAIT).until(() -> startedWork.get() == 1);
            gate.countDown();
            assertThat(new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("5\n");
            // Output is shut, input still read: the next line reaches the handler, which can no longer offload.
            socket.getOutputStream().write("6\n".getBytes(StandardCharsets.US_ASCII));
            await().atMost(WAIT).until(() -> delivered.get() == 2);
        }
        await().atMost(WAIT).until(() -> server.closedConnections(CloseReason.PEER_CLOSED) == 1);
        assertThat(taken).containsExactly(true, false);
    }

    @Test
    void failedWorkClosesTheConnectionAfterTheRepliesBeforeItOrRepliesInItsTurn() throws Exception {
        start(TcpServer.builder(), false);
        try (Socket socket = connect()) {
            socket.getOutputStream().write("1\nbad\n2\n".getBytes(StandardCharsets.US_ASCII));
            String all = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(all).isEqualTo("1\n");
        }
        await().atMost(WAIT).until(() -> server.closedConnections(CloseReason.HANDLER_ERROR) == 1);
        assertThat(server.handlerErrors()).isOne();
        server.stopAccepting(Duration.ofSeconds(2));
        server.forceClose(Duration.ofSeconds(2));

        server = TcpServer.builder().name("failures").port(0).offloadExecutor(workers)
                .decoder(FrameDecoders.lines(64)).messageHandler((c, line) -> {
                    String request = StandardCharsets.US_ASCII.decode(line).toString();
                    c.offload(() -> work(request, false), OffloadTest::replyLine,
                            (conn, error) -> replyLine(conn, "ERR " + error.getMessage()));
                }).build();
        server.start(group);
        try (Socket socket = connect()) {
            socket.getOutputStream().write("1\nbad\n2\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(lines(socket, 3)).containsExactly("1", "ERR the work failed, on purpose", "2");
        }
        assertThat(server.handlerErrors()).isZero();
    }

    @Test
    void anExecutorThatRefusesRepliesAsAFailureInTurn() throws Exception {
        server = TcpServer.builder().name("refused").port(0).offloadExecutor(work -> {
                    throw new RejectedExecutionException("full, on purpose");
                }).decoder(FrameDecoders.lines(64)).messageHandler((c, line) -> c.offload(() -> "never",
                        OffloadTest::replyLine, (conn, error) -> replyLine(conn, error.getClass().getSimpleName())))
                .build();
        server.start(group);
        try (Socket socket = connect()) {
            socket.getOutputStream().write("a\nb\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(lines(socket, 2)).containsExactly("RejectedExecutionException", "RejectedExecutionException");
        }
    }
}
