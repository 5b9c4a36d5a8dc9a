package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.LoopFaults;
import io.verypoll.spring.boot.loop.PollLoop;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * accept=hand-off and accept=reuseport over real loopback sockets: how connections spread over the
 * loops, one port for every listener, a second instance refused, and no queued connection reset
 * when a listener closes (at shutdown, or with its loop).
 */
@Timeout(120)
class ListenersAcrossLoopsTest {

    private final ExecutorService threads = Executors.newCachedThreadPool();
    private PollLoopGroup group;
    private final List<TcpServer> servers = new ArrayList<>();

    @AfterEach
    void stop() {
        threads.shutdownNow();
        for (TcpServer server : servers) {
            server.stopAccepting(Duration.ofSeconds(2));
            server.forceClose(Duration.ofSeconds(2));
        }
        if (group != null) {
            assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
        }
    }

    private void loops(int count) {
        group = new PollLoopGroup(new PollLoopGroup.Settings(count, 256, Duration.ofSeconds(2), Duration.ofMillis(200),
                1024, 65_536));
    }

    /** An echo server that counts the connections each loop opened. */
    private TcpServer startEcho(String name, int port, AcceptMode mode, AtomicIntegerArray openedPerLoop)
            throws IOException {
        TcpServer server = TcpServer.builder().name(name).port(port).accept(mode).handler(new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                if (openedPerLoop != null) {
                    openedPerLoop.incrementAndGet(connection.loop().index());
                }
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {
                connection.write(data);
            }
        }).build();
        servers.add(server);
        server.start(group);
        return server;
    }

    private static Socket connect(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    /** Holds each of {@code loops} in a task until {@code release} (at most 30 s); returns once all are held. */
    private static void hold(List<PollLoop> loops, CountDownLatch release) throws InterruptedException {
        CountDownLatch held = new CountDownLatch(loops.size());
        for (PollLoop loop : loops) {
            loop.execute(() -> {
                held.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        assertThat(held.await(5, TimeUnit.SECONDS)).isTrue();
    }

    private static void echoes(int port, int b) throws IOException {
        try (Socket socket = connect(port)) {
            socket.getOutputStream().write(b);
            assertThat(socket.getInputStream().read()).isEqualTo(b);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void reuseportSpreadsAThousandConnectionsOverEveryLoop(int loopCount) throws Exception {
        loops(loopCount);
        AtomicIntegerArray perLoop = new AtomicIntegerArray(loopCount);
        TcpServer server = startEcho("spread", 0, AcceptMode.REUSEPORT, perLoop);
        assertThat(server.listeners()).isEqualTo(loopCount);
        for (int i = 0; i < 1000; i++) {
            echoes(server.port(), i & 0x7f);
        }
        int[] split = new int[loopCount];
        for (int i = 0; i < loopCount; i++) {
            split[i] = perLoop.get(i);
        }
        System.out.println("accept=reuseport, " + loopCount + " loops: 1000 connections opened per loop " + Arrays.toString(split));
        assertThat(Arrays.stream(split).sum()).isEqualTo(1000);
        assertThat(Arrays.stream(split).min().orElse(0)).as("the smallest loop's share").isPositive();
        assertThat(server.acceptedConnections()).isEqualTo(1000);
        await().atMost(Duration.ofSeconds(10)).until(() -> server.activeConnections() == 0);
    }

    @Test
    void portZeroGivesEveryListenerOnePortAndASecondInstanceIsRefused() throws Exception {
        loops(2);
        AtomicIntegerArray perLoop = new AtomicIntegerArray(2);
        TcpServer first = startEcho("first", 0, AcceptMode.REUSEPORT, perLoop);
        int port = first.port();
        assertThat(port).isPositive();
        assertThat(first.listeners()).isEqualTo(2);
        // Both listeners are on that one port: connections to it reach both loops.
        for (int i = 0; i < 200 && (perLoop.get(0) == 0 || perLoop.get(1) == 0); i++) {
            echoes(port, 'p');
        }
        assertThat(perLoop.get(0)).isPositive();
        assertThat(perLoop.get(1)).isPositive();

        // Another instance with reuseport would join the group unnoticed; the plain probe refuses it.
        TcpServer second = TcpServer.builder().name("second").port(port).accept(AcceptMode.REUSEPORT)
                .handler((c, data) -> c.write(data)).build();
        assertThatThrownBy(() -> second.start(group)).isInstanceOf(BindException.class);
        assertThat(second.isRunning()).isFalse();
        // So are a hand-off server and a plain bind.
        TcpServer third = TcpServer.builder().name("third").port(port).handler((c, data) -> c.write(data)).build();
        assertThatThrownBy(() -> third.start(group)).isInstanceOf(BindException.class);
        try (ServerSocket plain = new ServerSocket()) {
            assertThatThrownBy(() -> plain.bind(new InetSocketAddress("127.0.0.1", port))).isInstanceOf(BindException.class);
        }
        echoes(port, 'q');
    }

    @Test
    void reuseportOnAPortHeldByAPlainListenerFailsToStart() throws Exception {
        loops(2);
        try (ServerSocket plain = new ServerSocket()) {
            plain.bind(new InetSocketAddress("127.0.0.1", 0));
            TcpServer server = TcpServer.builder().name("late").port(plain.getLocalPort()).accept(AcceptMode.REUSEPORT)
                    .handler((c, data) -> c.write(data)).build();
            assertThatThrownBy(() -> server.start(group)).isInstanceOf(BindException.class);
            assertThat(server.listeners()).isZero();
        }
    }

    /** accept does not apply to a Unix-domain server: one set by a customizer is ignored, as a property would be. */
    @Test
    void aUnixServerKeepsOneListenerWhateverItsSettingsSay(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        loops(2);
        UnixServer server = UnixServer.builder().name("local").path(dir.resolve("s.sock")).handler((c, data) -> c.write(data))
                .build();
        assertThatThrownBy(() -> UnixServer.builder().set(ServerSetting.ACCEPT, AcceptMode.REUSEPORT))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("accept does not apply to a unix server");
        server.configure(server.settings().with(ServerSetting.ACCEPT, AcceptMode.REUSEPORT));
        server.start(group);
        try {
            assertThat(server.listeners()).isEqualTo(1);
            try (java.nio.channels.SocketChannel client = java.nio.channels.SocketChannel.open(
                    java.net.UnixDomainSocketAddress.of(server.path()))) {
                client.write(ByteBuffer.wrap(new byte[] {'u'}));
                ByteBuffer back = ByteBuffer.allocate(1);
                assertThat(client.read(back)).isEqualTo(1);
                assertThat(back.get(0)).isEqualTo((byte) 'u');
            }
        } finally {
            server.stopAccepting(Duration.ofSeconds(2));
            server.forceClose(Duration.ofSeconds(2));
        }
    }

    /** What a client read from a connection the server took while stopping. */
    enum Ending { ECHO_THEN_END, END, RESET }

    /**
     * The loops are held (a task waits on a latch) while clients connect: the kernel completes their
     * handshakes and queues them on the listeners. The server stops (as the lifecycle does: stop
     * accepting, then drain), its listeners close behind the held tasks, the loops go on. Closing a
     * listener with connections queued resets them; each must instead read its echo or an orderly end.
     */
    @ParameterizedTest
    @EnumSource(AcceptMode.class)
    void connectionsQueuedWhenTheServerStopsEndOrderlyNotReset(AcceptMode mode) throws Exception {
        loops(2);
        TcpServer server = startEcho("stopping", 0, mode, null);
        int listeners = server.listeners();
        CountDownLatch release = new CountDownLatch(1);
        hold(group.loops(), release);
        int clients = 40;
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < clients; i++) {
                Socket socket = connect(server.port()); // completed by the kernel: queued, not accepted
                socket.getOutputStream().write('a');
                sockets.add(socket);
            }
            Future<?> stopping = threads.submit(() -> {
                server.stopAccepting(Duration.ofSeconds(10));
                server.beginDrain();
            });
            // The listeners' close tasks wait behind the held ones before the loops go on.
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> group.loops().stream().mapToInt(PollLoop::pendingTasks).sum() >= listeners);
            release.countDown();
            stopping.get(15, TimeUnit.SECONDS);
            int[] endings = new int[Ending.values().length];
            for (Socket socket : sockets) {
                endings[ending(socket).ordinal()]++;
            }
            System.out.println("accept=" + mode + ": " + clients + " connections queued at stop: echo then end "
                    + endings[Ending.ECHO_THEN_END.ordinal()] + ", end " + endings[Ending.END.ordinal()] + ", reset "
                    + endings[Ending.RESET.ordinal()]);
            assertThat(endings[Ending.RESET.ordinal()]).as("connections reset").isZero();
        } finally {
            release.countDown();
            for (Socket socket : sockets) {
                socket.close();
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> server.activeConnections() == 0);
        assertThat(server.acceptedConnections()).isEqualTo(clients);
        assertThat(server.closedConnections(CloseReason.SHUTDOWN)).isEqualTo(clients);
        assertThat(server.listeners()).isZero();
    }

    private static Ending ending(Socket socket) throws IOException {
        try {
            int first = socket.getInputStream().read();
            if (first == -1) {
                return Ending.END;
            }
            assertThat(first).isEqualTo('a');
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
            return Ending.ECHO_THEN_END;
        } catch (SocketException reset) {
            return Ending.RESET;
        }
    }

    /**
     * With reuseport, a loop whose machinery fails takes its listener down: what was queued there is
     * served by the loop left, and the kernel sends new connections to the listener still open.
     */
    @Test
    void aFailedLoopsQueuedConnectionsAreServedByTheLoopLeft() throws Exception {
        loops(2);
        AtomicIntegerArray perLoop = new AtomicIntegerArray(2);
        TcpServer server = startEcho("survivor", 0, AcceptMode.REUSEPORT, perLoop);
        CountDownLatch release = new CountDownLatch(1);
        PollLoop failing = group.loop(1);
        hold(List.of(failing), release);
        int clients = 20;
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < clients; i++) {
                Socket socket = connect(server.port());
                socket.getOutputStream().write('a' + i);
                sockets.add(socket);
            }
            // Loop 1 is held: whatever the kernel gave its listener is still queued there.
            long acceptedWhileHeld = server.acceptedConnections();
            LoopFaults.breakPoll(failing);
            release.countDown();
            await().atMost(Duration.ofSeconds(5)).until(() -> failing.failure() != null);
            for (int i = 0; i < clients; i++) {
                assertThat(sockets.get(i).getInputStream().read()).as("client %d", i).isEqualTo('a' + i);
            }
            assertThat(acceptedWhileHeld).as("connections queued on the failed loop's listener").isLessThan(clients);
            assertThat(perLoop.get(1)).isZero();
            assertThat(perLoop.get(0)).isEqualTo(clients);
        } finally {
            release.countDown();
            for (Socket socket : sockets) {
                socket.close();
            }
        }
        assertThat(server.listeners()).isEqualTo(1);
        for (int i = 0; i < 20; i++) {
            echoes(server.port(), 'n');
        }
        assertThat(perLoop.get(0)).isEqualTo(clients + 20);
        assertThat(server.closedConnections(CloseReason.LOOP_FAILED)).isZero();
    }
}
