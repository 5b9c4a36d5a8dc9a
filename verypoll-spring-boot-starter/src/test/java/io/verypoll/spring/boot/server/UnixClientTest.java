package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.PollLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@Timeout(60)
class UnixClientTest {

    @TempDir
    Path dir;

    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(2, 256, Duration.ofSeconds(2), Duration.ofMillis(200), 1024, 65_536));
    private UnixServer server;
    private UnixClient client;

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

    @Test
    void connectsToASocketFileAndGetsTheEcho() throws Exception {
        Path socket = dir.resolve("echo.sock");
        server = UnixServer.builder().name("echo").path(socket).handler((c, data) -> c.write(data)).build();
        server.start(group);
        TcpClientTest.Recorder recorder = new TcpClientTest.Recorder("over unix");
        client = UnixClient.builder().path(socket).link(false).handler(recorder).build();
        client.start(group);
        client.connect();
        assertThat(recorder.events.poll(10, TimeUnit.SECONDS)).isEqualTo("open");
        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.text().equals("over unix"));
        assertThat(client.target()).isEqualTo(socket.toString());
    }

    @Test
    void aMissingSocketFileIsRefused() throws Exception {
        TcpClientTest.Recorder recorder = new TcpClientTest.Recorder(null);
        client = UnixClient.builder().path(dir.resolve("nobody.sock")).link(false).handler(recorder).build();
        client.start(group);
        client.connect();
        assertThat(recorder.events.poll(10, TimeUnit.SECONDS)).isEqualTo("close:connect-refused");
        assertThat(client.closedConnections(CloseReason.CONNECT_REFUSED)).isEqualTo(1);
    }
}
