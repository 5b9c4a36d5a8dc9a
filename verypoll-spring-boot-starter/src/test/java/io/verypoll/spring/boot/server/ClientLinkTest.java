package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.LoopFaults;
import io.verypoll.spring.boot.loop.PollLoop;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A client's link: connected at start, reconnected with backoff, stopped cleanly. Real loopback sockets. */
@Timeout(60)
class ClientLinkTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(2, 256, Duration.ofSeconds(2), Duration.ofMillis(200), 1024, 65_536));
    private TcpServer server;
    private TcpClient client;

    @AfterEach
    void stop() {
        if (client != null) {
            client.stop(Duration.ofSeconds(2));
        }
        if (server != null) {
            server.stopAccepting(Duration.ofSeconds(2));
            server.forceClose(Duration.ofSeconds(2));
        }
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
    }

    /** Records when each connect failed. */
    static final class Failures implements ConnectionHandler {
        final List<Long> at = new CopyOnWriteArrayList<>();
        final List<CloseReason> reasons = new CopyOnWriteArrayList<>();

        @Override
        public void onData(Connection c, ByteBuffer data) {
        }

        @Override
        public void onClose(Connection c, CloseReason reason) {
            at.add(System.nanoTime());
            reasons.add(reason);
        }
    }

    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    // The schedule: gaps between refused connects follow initial * 2^n, capped (no jitter here). Only
    // lower bounds are asserted: a loaded machine may be late, never early.
    @Test
    void aRefusedLinkRetriesOnTheBackoffScheduleAndStopsCleanly() throws Exception {
        Failures failures = new Failures();
        client = TcpClient.builder().name("link").port(closedPort()).reconnect(Duration.ofMillis(40), Duration.ofMillis(160))
                .reconnectJitter(0).handler(failures).build();
        client.start(group);
        await().atMost(WAIT).until(() -> failures.at.size() >= 6);
        assertThat(failures.reasons).allMatch(r -> r == CloseReason.CONNECT_REFUSED);
        long[] expectedMs = {40, 80, 160, 160, 160};
        for (int i = 0; i < expectedMs.length; i++) {
            long gapMs = TimeUnit.NANOSECONDS.toMillis(failures.at.get(i + 1) - failures.at.get(i));
            assertThat(gapMs).as("gap %d", i).isGreaterThanOrEqualTo(expectedMs[i]);
        }
        assertThat(client.reconnects()).isGreaterThanOrEqualTo(5);
        assertThat(client.closedConnections(CloseReason.CONNECT_REFUSED)).isGreaterThanOrEqualTo(6);
        assertThat(client.isConnected()).isFalse();

        client.stop(Duration.ofSeconds(2));
        long attempts = client.connectAttempts();
        // Nothing more after the stop: no timer left armed, nothing connecting.
        await().during(Duration.ofMillis(400)).atMost(Duration.ofSeconds(2))
                .until(() -> client.connectAttempts() == attempts && client.connectsInProgress() == 0);
        assertThat(group.loops()).allMatch(l -> l.scheduledTimers() == 0);
        client = null;
    }

    @Test
    void theLinkConnectsAtStartAndAgainAfterTheServerClosesIt() throws Exception {
        server = TcpServer.builder().name("up").port(0).handler((c, data) -> c.write(data)).build();
        server.start(group);
        client = TcpClient.builder().port(server.port()).reconnect(Duration.ofMillis(20), Duration.ofMillis(100))
                .handler((c, data) -> { }).build();
        client.start(group);
        await().atMost(WAIT).until(client::isConnected);
        Connection first = client.linkConnection();
        assertThat(first.isOutbound()).isTrue();
        assertThat(server.activeConnections()).isEqualTo(1);
        // The server side drops every connection: the link comes back.
        int port = server.port();
        server.forceClose(Duration.ofSeconds(2));
        // The server binds its last port again, which the kernel refuses while the server's side of the
        // dropped connection waits for the client's FIN (FIN_WAIT2): then the server would move to a new
        // port the client does not know. So: once the client has closed too, restart until it has the port.
        await().atMost(WAIT).until(() -> !first.isOpen());
        await().atMost(WAIT).until(() -> {
            server.start(group);
            if (server.port() == port) {
                return true;
            }
            server.forceClose(Duration.ofSeconds(2));
            return false;
        });
        await().atMost(WAIT).until(() -> client.isConnected() && client.linkConnection() != first);
        assertThat(client.reconnects()).isGreaterThanOrEqualTo(1);
        assertThat(client.linkConnection().remoteAddress().toString()).endsWith(":" + server.port());
    }

    // The link's loop fails: its connection closes (loop-failed) and the link comes back on the loop left.
    @Test
    void aLinkWhoseLoopFailsReconnectsOnAnotherLoop() throws Exception {
        server = TcpServer.builder().name("up").port(0).handler((c, data) -> c.write(data)).build();
        server.start(group);
        client = TcpClient.builder().port(server.port()).reconnect(Duration.ofMillis(20), Duration.ofMillis(100))
                .handler((c, data) -> { }).build();
        client.start(group);
        await().atMost(WAIT).until(client::isConnected);
        PollLoop failed = client.linkConnection().loop();
        LoopFaults.breakPoll(failed);
        await().atMost(WAIT).until(() -> failed.failure() != null);
        await().atMost(WAIT).until(() -> client.isConnected() && client.linkConnection().loop() != failed);
        assertThat(client.closedConnections(CloseReason.LOOP_FAILED)).isEqualTo(1);
    }

    // A connection that stayed open past reset-after starts the delays from the initial one again; one
    // that did not keeps counting up.
    @Test
    void aStableConnectionResetsTheBackoff() throws Exception {
        server = TcpServer.builder().name("flaky").port(0).handler(new ConnectionHandler() {
            @Override
            public void onOpen(Connection c) {
                c.close(); // every connection ends at once
            }

            @Override
            public void onData(Connection c, ByteBuffer data) {
            }
        }).build();
        server.start(group);
        client = TcpClient.builder().port(server.port()).reconnect(Duration.ofMillis(5), Duration.ofMillis(20))
                .reconnectResetAfter(Duration.ofHours(1)).handler((c, data) -> { }).build();
        client.start(group);
        await().atMost(WAIT).until(() -> client.link().failuresInRow() >= 4);
        client.stop(Duration.ofSeconds(2));

        client = TcpClient.builder().port(server.port()).reconnect(Duration.ofMillis(5), Duration.ofMillis(20))
                .reconnectResetAfter(Duration.ZERO).handler((c, data) -> { }).build();
        client.start(group);
        await().atMost(WAIT).until(() -> client.reconnects() >= 4);
        assertThat(client.link().failuresInRow()).as("every connection counted as stable").isLessThanOrEqualTo(1);
    }
}
