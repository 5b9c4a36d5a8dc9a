package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.LoopFaults;
import io.verypoll.spring.boot.loop.PollLoop;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Oracle O-THREAD: nothing a handler throws ends a loop; a loop whose own machinery fails is routed
 * around; either way new clients are served and the group stops cleanly.
 */
@Timeout(60)
class LoopFailureTest {

    /** What a handler does when it reads an 'X'. */
    enum Cause {
        STACK_OVERFLOW {
            @Override
            void trigger(Connection connection) {
                recurse(0);
            }
        },
        OUT_OF_MEMORY {
            @Override
            void trigger(Connection connection) {
                // A real OutOfMemoryError, thrown at once without exhausting the test's heap.
                long[] tooLarge = new long[Integer.MAX_VALUE];
                connection.attach(tooLarge);
            }
        },
        SCHEDULE_AT_THE_END_OF_TIME {
            @Override
            void trigger(Connection connection) {
                // Once overflowed the loop's next-timeout arithmetic; the task must simply never run.
                connection.loop().schedule(Duration.ofNanos(Long.MAX_VALUE), () -> { });
                connection.loop().schedule(Duration.ofSeconds(Long.MAX_VALUE), () -> { });
                connection.closeNow();
            }
        },
        CUSTOM_ERROR {
            @Override
            void trigger(Connection connection) {
                throw new CustomError();
            }
        };

        abstract void trigger(Connection connection);

        private static int recurse(int depth) {
            return recurse(depth + 1) + 1;
        }
    }

    static final class CustomError extends Error {
        CustomError() {
            super("an Error that is neither an Exception, a LinkageError nor an AssertionError");
        }
    }

    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(2, 64, Duration.ofSeconds(2), Duration.ofMillis(200), 64, 1024));
    private TcpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stopAccepting(Duration.ofSeconds(2));
            server.forceClose(Duration.ofSeconds(2));
        }
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
        assertThat(verypollThreads()).isEmpty();
    }

    private static List<String> verypollThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(name -> name.startsWith("verypoll-")).toList();
    }

    private void startEcho(Cause cause, AtomicInteger closes) throws IOException {
        server = TcpServer.builder().name("echo").port(0).handler(new ConnectionHandler() {
            @Override
            public void onData(Connection connection, java.nio.ByteBuffer data) {
                if (data.get(data.position()) == 'X') {
                    cause.trigger(connection);
                }
                connection.write(data);
            }

            @Override
            public void onClose(Connection connection, CloseReason reason) {
                closes.incrementAndGet();
            }
        }).build();
        server.start(group);
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
        socket.setSoTimeout(5_000);
        return socket;
    }

    /** Ten new clients, spread over every loop, each get their byte back. */
    private void tenClientsAreServed() throws IOException {
        List<Socket> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) {
                clients.add(connect());
            }
            for (int i = 0; i < clients.size(); i++) {
                clients.get(i).getOutputStream().write('a' + i);
                assertThat(clients.get(i).getInputStream().read()).as("client %d", i).isEqualTo('a' + i);
            }
        } finally {
            for (Socket client : clients) {
                client.close();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Cause.class)
    void whateverAHandlerThrowsTheLoopsLiveOn(Cause cause) throws Exception {
        AtomicInteger closes = new AtomicInteger();
        startEcho(cause, closes);
        // Two clients, so that one lands on each loop.
        for (int i = 0; i < 2; i++) {
            try (Socket bad = connect()) {
                bad.getOutputStream().write('X');
                assertThat(bad.getInputStream().read()).isIn(-1, (int) 'X');
            }
        }
        tenClientsAreServed();
        await().atMost(Duration.ofSeconds(5)).until(() -> server.activeConnections() == 0);
        assertThat(closes.get()).isEqualTo(12);
        for (PollLoop loop : group.loops()) {
            assertThat(loop.isRunning()).isTrue();
            assertThat(loop.failure()).isNull();
        }
        if (cause != Cause.SCHEDULE_AT_THE_END_OF_TIME) {
            assertThat(server.closedConnections(CloseReason.HANDLER_ERROR)).isEqualTo(2);
            assertThat(group.handlerErrors().total()).isEqualTo(2);
        }
    }

    @Test
    void aLoopWhoseMachineryFailsIsRoutedAroundAndTheGroupStillStops() throws Exception {
        AtomicInteger closes = new AtomicInteger();
        startEcho(Cause.CUSTOM_ERROR, closes);
        // One idle client on each loop.
        Socket first = connect();
        Socket second = connect();
        for (Socket s : List.of(first, second)) {
            s.getOutputStream().write('a');
            assertThat(s.getInputStream().read()).isEqualTo('a');
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> group.loop(1).registrations() >= 1);
        int onFailed = group.loop(1).registrations();

        LoopFaults.breakPoll(group.loop(1));

        await().atMost(Duration.ofSeconds(5)).until(() -> group.loop(1).failure() != null);
        assertThat(group.loop(1).isRunning()).isFalse();
        await().atMost(Duration.ofSeconds(5)).until(() -> server.closedConnections(CloseReason.LOOP_FAILED) >= 1);
        for (int i = 0; i < 20; i++) {
            assertThat(group.next()).isSameAs(group.loop(0));
        }
        // Whichever loop held the listener, the server still accepts, on the loop left.
        tenClientsAreServed();
        first.close();
        second.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> server.activeConnections() == 0);
        assertThat(onFailed).isPositive();
        assertThat(group.handlerErrors().total()).isZero();
    }
}
