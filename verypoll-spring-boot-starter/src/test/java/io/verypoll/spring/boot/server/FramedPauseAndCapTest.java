package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.frame.FrameDecoders;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Pausing keeps order (the application's pause and backpressure), and the per-server cap on buffered input holds. */
@Timeout(60)
class FramedPauseAndCapTest {

    private static final Duration WAIT = Duration.ofSeconds(15);

    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(2, 256, Duration.ofSeconds(2), Duration.ofMillis(200), 1024, 65_536));
    private TcpServer server;
    private final List<String> received = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger violations = new AtomicInteger();

    @AfterEach
    void stop() {
        if (server != null) {
            server.stopAccepting(Duration.ofSeconds(2));
            server.forceClose(Duration.ofSeconds(2));
        }
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
    }

    private void start(TcpServer.Builder builder) throws IOException {
        server = builder.name("paused").port(0).build();
        server.start(group);
    }

    private Socket connect(int receiveBuffer) throws IOException {
        Socket socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
        socket.setSoTimeout(15_000);
        return socket;
    }

    private static String numbered(int count) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < count; i++) {
            text.append(i).append('\n');
        }
        return text.toString();
    }

    private static List<String> numbers(int count) {
        List<String> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            list.add(Integer.toString(i));
        }
        return list;
    }

    @Test
    void pausedInOnMessageAndResumedFromATimerEveryFrameArrivesInOrderAndNoneWhilePaused() throws Exception {
        AtomicBoolean paused = new AtomicBoolean();
        start(TcpServer.builder().decoder(FrameDecoders.lines(100)).messageHandler((c, line) -> {
            if (paused.get()) {
                violations.incrementAndGet();
            }
            received.add(StandardCharsets.US_ASCII.decode(line).toString());
            if (received.size() % 3 == 0) {
                paused.set(true);
                c.pauseReading();
                c.loop().schedule(Duration.ofMillis(1), () -> {
                    paused.set(false);
                    c.resumeReading();
                });
            }
        }));
        try (Socket socket = connect(0)) {
            socket.getOutputStream().write(numbered(3000).getBytes(StandardCharsets.US_ASCII));
            await().atMost(WAIT).until(() -> received.size() >= 3000);
        }
        assertThat(received).containsExactlyElementsOf(numbers(3000));
        assertThat(violations).hasValue(0);
        await().atMost(WAIT).until(() -> server.bufferedInputBytes() == 0);
    }

    @Test
    void pausedBeforeAnyInputNothingIsReadOrDeliveredUntilResumed() throws Exception {
        BlockingQueue<Connection> opened = new ArrayBlockingQueue<>(1);
        AtomicBoolean resumed = new AtomicBoolean();
        start(TcpServer.builder().decoder(FrameDecoders.lines(100)).messageHandler(new MessageHandler() {
            @Override
            public void onOpen(Connection c) {
                c.pauseReading();
                opened.add(c);
            }

            @Override
            public void onMessage(Connection c, ByteBuffer line) {
                if (!resumed.get()) {
                    violations.incrementAndGet();
                }
                received.add(StandardCharsets.US_ASCII.decode(line).toString());
            }
        }));
        try (Socket socket = connect(0)) {
            Connection connection = opened.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(connection).isNotNull();
            socket.getOutputStream().write(numbered(50).getBytes(StandardCharsets.US_ASCII));
            // The bytes reach the server's socket; a paused connection leaves them there.
            AtomicLong read = new AtomicLong(-1);
            connection.execute(() -> read.set(server.bytesReceived()));
            await().atMost(WAIT).until(() -> read.get() >= 0);
            assertThat(read.get()).isZero();
            connection.execute(() -> {
                resumed.set(true);
                connection.resumeReading();
            });
            await().atMost(WAIT).until(() -> received.size() >= 50);
        }
        assertThat(received).containsExactlyElementsOf(numbers(50));
        assertThat(violations).hasValue(0);
    }

    @Test
    void backpressureStopsDeliveryAboveTheHighWatermarkAndLosesNoFrame() throws Exception {
        byte[] reply = new byte[8192];
        start(TcpServer.builder().watermarks(16 * 1024, 32 * 1024).decoder(FrameDecoders.lines(100))
                .messageHandler((c, line) -> {
                    if (c.pendingBytes() > 32 * 1024) {
                        violations.incrementAndGet(); // delivered while over the high watermark
                    }
                    byte digit = line.get(line.limit() - 1);
                    java.util.Arrays.fill(reply, digit);
                    c.write(reply);
                }));
        int frames = 2000; // 16 MB of replies: more than the kernel buffers on both sides hold
        try (Socket socket = connect(8 * 1024)) {
            socket.getOutputStream().write(numbered(frames).getBytes(StandardCharsets.US_ASCII));
            // The client reads nothing yet: replies pile up until the connection pauses.
            await().atMost(WAIT).until(() -> server.pendingBytes() > 16 * 1024);
            InputStream in = socket.getInputStream();
            for (int i = 0; i < frames; i++) {
                byte[] back = in.readNBytes(reply.length);
                byte expected = (byte) ('0' + i % 10);
                assertThat(back[0]).as("reply %d", i).isEqualTo(expected);
                assertThat(back[back.length - 1]).isEqualTo(expected);
            }
        }
        assertThat(violations).hasValue(0);
    }

    @Test
    void theServerWideInputCapHoldsAndClosesTheConnectionsOverIt() throws Exception {
        long cap = 1 << 20;
        start(TcpServer.builder().maxFrameLength(512 * 1024).maxBufferedInput(cap)
                .decoder(FrameDecoders.lines(1 << 20)).messageHandler((c, line) -> c.write(line)));
        AtomicLong highest = new AtomicLong();
        AtomicBoolean sampling = new AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            while (sampling.get()) {
                highest.accumulateAndGet(server.bufferedInputBytes(), Math::max);
                Thread.onSpinWait();
            }
        });
        sampler.start();
        List<Socket> clients = new ArrayList<>();
        try {
            byte[] chunk = new byte[32 * 1024];
            java.util.Arrays.fill(chunk, (byte) 'x');
            for (int i = 0; i < 6; i++) {
                clients.add(connect(0));
            }
            // Each sends 320 KiB of a line that never ends: six of them cannot all be held under 1 MiB.
            for (int round = 0; round < 10; round++) {
                for (Socket client : clients) {
                    try {
                        client.getOutputStream().write(chunk);
                    } catch (IOException closed) {
                        // This one was over the cap and is closed: its peer may reset.
                    }
                }
            }
            await().atMost(WAIT).until(() -> server.closedConnections(CloseReason.INPUT_CAP) >= 1
                    && server.activeConnections() + server.closedConnections(CloseReason.INPUT_CAP) == 6);
            assertThat(server.bufferedInputBytes()).isLessThanOrEqualTo(cap).isPositive();
            assertThat(server.activeConnections()).as("those under the cap are kept").isPositive();
        } finally {
            sampling.set(false);
            sampler.join(5000);
            for (Socket client : clients) {
                client.close();
            }
        }
        assertThat(highest.get()).as("the most ever held").isLessThanOrEqualTo(cap);
        await().atMost(WAIT).until(() -> server.bufferedInputBytes() == 0);
    }

    @Test
    void aPausedConnectionThatClosesLetsGoOfWhatItKept() throws Exception {
        start(TcpServer.builder().decoder(FrameDecoders.lines(100)).messageHandler((c, line) -> {
            received.add("x");
            c.pauseReading(); // after the first frame; the rest of the read is kept
            c.loop().schedule(Duration.ofMillis(50), c::close);
        }));
        try (Socket socket = connect(0)) {
            OutputStream out = socket.getOutputStream();
            out.write(numbered(100).getBytes(StandardCharsets.US_ASCII));
            await().atMost(WAIT).until(() -> server.bufferedInputBytes() > 0 || server.activeConnections() == 0);
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
        }
        await().atMost(WAIT).until(() -> server.activeConnections() == 0);
        assertThat(received).hasSize(1);
        assertThat(server.bufferedInputBytes()).isZero();
    }
}
