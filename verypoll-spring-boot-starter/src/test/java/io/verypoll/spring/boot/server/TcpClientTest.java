package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.frame.FrameDecoders;
import io.verypoll.spring.boot.frame.FrameEncoders;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Outbound TCP connections over real loopback sockets, without Spring. */
@Timeout(90)
class TcpClientTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(2, 256, Duration.ofSeconds(2), Duration.ofMillis(200), 1024, 65_536));
    private final ExecutorService resolver = Executors.newSingleThreadExecutor();
    private TcpServer server;
    private StreamClient client;

    @AfterEach
    void stop() {
        if (client != null) {
            client.stop(Duration.ofSeconds(2));
            assertThat(client.activeConnections()).isZero();
            assertThat(client.connectsInProgress()).isZero();
        }
        if (server != null) {
            server.stopAccepting(Duration.ofSeconds(2));
            server.forceClose(Duration.ofSeconds(2));
        }
        resolver.shutdownNow();
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
    }

    private void echoServer() throws Exception {
        server = TcpServer.builder().name("echo").port(0).handler((c, data) -> c.write(data)).build();
        server.start(group);
    }

    /** What a handler saw: its events in order, and the bytes. */
    static final class Recorder implements ConnectionHandler {
        final BlockingQueue<String> events = new ArrayBlockingQueue<>(1000);
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        final List<String> threads = new CopyOnWriteArrayList<>();
        volatile Connection connection;
        final byte[] greeting;

        Recorder(String greeting) {
            this.greeting = greeting == null ? null : greeting.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public void onOpen(Connection c) {
            connection = c;
            threads.add(Thread.currentThread().getName());
            events.add("open");
            if (greeting != null) {
                c.write(greeting);
            }
        }

        @Override
        public void onData(Connection c, ByteBuffer data) {
            byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            synchronized (received) {
                received.writeBytes(bytes);
            }
        }

        @Override
        public void onClose(Connection c, CloseReason reason) {
            connection = c;
            threads.add(Thread.currentThread().getName());
            events.add("close:" + reason.tag());
        }

        String text() {
            synchronized (received) {
                return received.toString(StandardCharsets.UTF_8);
            }
        }
    }

    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void connectsAndGetsTheEchoThroughTheSameConnectionApi() throws Exception {
        echoServer();
        Recorder recorder = new Recorder("hello");
        client = TcpClient.builder().name("backend").port(server.port()).link(false).handler(recorder).build();
        client.start(group);
        client.connect();
        assertThat(recorder.events.poll(10, TimeUnit.SECONDS)).isEqualTo("open");
        await().atMost(WAIT).until(() -> recorder.text().equals("hello"));
        Connection c = recorder.connection;
        assertThat(c.isOutbound()).isTrue();
        assertThat(c.client()).isSameAs(client);
        assertThat(c.server()).isNull();
        assertThat(c.toString()).contains("client=backend");
        assertThat(client.activeConnections()).isEqualTo(1);
        assertThat(client.bytesSent()).isEqualTo(5);
        await().atMost(WAIT).until(() -> client.bytesReceived() == 5);
        c.execute(c::close);
        assertThat(recorder.events.poll(10, TimeUnit.SECONDS)).isEqualTo("close:local");
        await().atMost(WAIT).until(() -> client.activeConnections() == 0);
        assertThat(client.closedConnections(CloseReason.LOCAL)).isEqualTo(1);
    }

    /** A loop of another group is refused with a clear message, whatever its index (here past this group's end). */
    @Test
    void aLoopOfAnotherGroupIsRefused() throws Exception {
        PollLoopGroup larger = new PollLoopGroup(
                new PollLoopGroup.Settings(3, 256, Duration.ofSeconds(2), Duration.ofMillis(200), 1024, 65_536));
        try {
            larger.ensureStarted();
            client = TcpClient.builder().port(closedPort()).link(false).handler(new Recorder(null)).build();
            client.start(group);
            for (int i = 0; i < 3; i++) {
                io.verypoll.spring.boot.loop.PollLoop foreign = larger.loops().get(i);
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.connect(foreign, c -> new Recorder(null)))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("is not of this client's group");
            }
            assertThat(client.connectsInProgress()).isZero();
        } finally {
            assertThat(larger.stop(Duration.ofSeconds(5))).isTrue();
        }
    }

    @Test
    void aRefusedConnectIsToldToTheHandlerAndCounted() throws Exception {
        Recorder recorder = new Recorder(null);
        client = TcpClient.builder().port(closedPort()).link(false).handler(recorder).build();
        client.start(group);
        client.connect();
        assertThat(recorder.events.poll(10, TimeUnit.SECONDS)).isEqualTo("close:connect-refused");
        assertThat(recorder.connection.isOpen()).isFalse();
        assertThat(recorder.connection.closeReason()).isEqualTo(CloseReason.CONNECT_REFUSED);
        assertThat(client.closedConnections(CloseReason.CONNECT_REFUSED)).isEqualTo(1);
        assertThat(client.activeConnections()).isZero();
    }

    @Test
    void aConnectThatNeverAnswersTimesOut() throws Exception {
        try (FullBacklog silent = new FullBacklog()) {
            Recorder recorder = new Recorder(null);
            client = TcpClient.builder().port(silent.port()).link(false).connectTimeout(Duration.ofMillis(300))
                    .handler(recorder).build();
            client.start(group);
            client.connect();
            assertThat(recorder.events.poll(10, TimeUnit.SECONDS)).isEqualTo("close:connect-timeout");
            assertThat(client.closedConnections(CloseReason.CONNECT_TIMEOUT)).isEqualTo(1);
            assertThat(client.connectsInProgress()).isZero();
        }
    }

    @Test
    void namesAreResolvedOffTheLoopAndAnUnknownNameIsUnresolved() throws Exception {
        echoServer();
        AtomicInteger resolutions = new AtomicInteger();
        List<String> resolverThreads = new CopyOnWriteArrayList<>();
        Executor counting = work -> {
            resolutions.incrementAndGet();
            resolver.execute(() -> {
                resolverThreads.add(Thread.currentThread().getName());
                work.run();
            });
        };
        Recorder byName = new Recorder("hi");
        client = TcpClient.builder().host("localhost").port(server.port()).link(false).executor(counting)
                .handler(byName).build();
        client.start(group);
        client.connect();
        assertThat(byName.events.poll(10, TimeUnit.SECONDS)).isEqualTo("open");
        assertThat(resolutions.get()).isEqualTo(1);
        assertThat(resolverThreads).noneMatch(t -> t.startsWith("verypoll-loop"));
        client.stop(Duration.ofSeconds(2));

        Recorder unknown = new Recorder(null);
        client = TcpClient.builder().host("no-such-host.invalid").port(7).link(false).executor(counting)
                .handler(unknown).build();
        client.start(group);
        client.connect();
        // A resolver that drops queries makes the lookup wait for its own timeouts: a generous bound.
        assertThat(unknown.events.poll(45, TimeUnit.SECONDS)).isEqualTo("close:unresolved");
        assertThat(client.closedConnections(CloseReason.UNRESOLVED)).isEqualTo(1);
        assertThat(resolutions.get()).isEqualTo(2);

        Recorder literal = new Recorder(null);
        client.stop(Duration.ofSeconds(2));
        client = TcpClient.builder().host("127.0.0.1").port(server.port()).link(false).executor(counting)
                .handler(literal).build();
        client.start(group);
        client.connect();
        assertThat(literal.events.poll(10, TimeUnit.SECONDS)).isEqualTo("open");
        assertThat(resolutions.get()).as("a literal address needs no resolver").isEqualTo(2);
    }

    @Test
    void aServerHandlerConnectsOnItsOwnLoopWithoutAHandOff() throws Exception {
        echoServer();
        client = TcpClient.builder().name("upstream").port(server.port()).link(false)
                .handler((c, data) -> { }).build();
        client.start(group);
        BlockingQueue<String> seen = new ArrayBlockingQueue<>(10);
        TcpServer front = TcpServer.builder().name("front").port(0).handler(new ConnectionHandler() {
            @Override
            public void onOpen(Connection inbound) {
                client.connect(inbound.loop(), outbound -> new ConnectionHandler() {
                    @Override
                    public void onOpen(Connection c) {
                        seen.add((c.loop() == inbound.loop()) + ":" + Thread.currentThread().getName()
                                .equals(inbound.loop().threadName()));
                    }

                    @Override
                    public void onData(Connection c, ByteBuffer data) {
                    }
                });
            }

            @Override
            public void onData(Connection c, ByteBuffer data) {
            }
        }).build();
        front.start(group);
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", front.port());
             java.net.Socket s2 = new java.net.Socket("127.0.0.1", front.port())) {
            assertThat(seen.poll(10, TimeUnit.SECONDS)).isEqualTo("true:true");
            assertThat(seen.poll(10, TimeUnit.SECONDS)).isEqualTo("true:true");
        } finally {
            front.stopAccepting(Duration.ofSeconds(2));
            front.forceClose(Duration.ofSeconds(2));
        }
    }

    @Test
    void aFramedClientGetsMessages() throws Exception {
        echoServer();
        BlockingQueue<String> lines = new ArrayBlockingQueue<>(10);
        client = TcpClient.builder().port(server.port()).link(false).decoder(FrameDecoders.lines(1024))
                .messageHandler(new MessageHandler() {
                    @Override
                    public void onOpen(Connection c) {
                        c.writeFrame(ByteBuffer.wrap("one".getBytes(StandardCharsets.UTF_8)), FrameEncoders.lines());
                        c.writeFrame(ByteBuffer.wrap("two".getBytes(StandardCharsets.UTF_8)), FrameEncoders.lines());
                    }

                    @Override
                    public void onMessage(Connection c, ByteBuffer frame) {
                        lines.add(StandardCharsets.UTF_8.decode(frame).toString());
                    }
                }).build();
        client.start(group);
        client.connect();
        assertThat(lines.poll(10, TimeUnit.SECONDS)).isEqualTo("one");
        assertThat(lines.poll(10, TimeUnit.SECONDS)).isEqualTo("two");
    }

    @Test
    void stopClosesConnectionsAndFailsConnectsInProgressAsAShutdown() throws Exception {
        echoServer();
        Recorder open = new Recorder(null);
        client = TcpClient.builder().port(server.port()).link(false).handler(open).build();
        client.start(group);
        client.connect();
        assertThat(open.events.poll(10, TimeUnit.SECONDS)).isEqualTo("open");
        assertThat(client.stop(Duration.ofSeconds(5))).as("nothing forced").isZero();
        assertThat(open.events.poll(10, TimeUnit.SECONDS)).isEqualTo("close:shutdown");
        client = null;

        try (FullBacklog silent = new FullBacklog()) {
            Recorder hanging = new Recorder(null);
            client = TcpClient.builder().port(silent.port()).link(false).connectTimeout(Duration.ofMinutes(1))
                    .handler(hanging).build();
            client.start(group);
            client.connect();
            client.stop(Duration.ofSeconds(5));
            assertThat(hanging.events.poll(10, TimeUnit.SECONDS)).isEqualTo("close:shutdown");
            assertThat(client.connectsInProgress()).isZero();
        }
    }
}
