package io.verypoll.demo.resp;

import io.verypoll.spring.boot.server.CloseReason;
import io.verypoll.spring.boot.server.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Random bytes to the demo's RESP server over loopback, one connection per stream, in random
 * chunks: connections close (frame-error, frame-too-long, or after the client's end of stream),
 * the handler never fails, the input held for incomplete commands is given back, and the server
 * answers a clean client afterwards. Small limits, so that every limit is hit often.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE, properties = {
        "verypoll.loops=2",
        "verypoll.shutdown-timeout=0s",
        "verypoll.server-defaults.port=0",
        "verypoll.servers.resp.max-frame-length=512B",
        "demo.resp.max-arguments=16",
        "demo.resp.max-inline-length=128B"})
@Timeout(90)
class RespServerFuzzTest {

    private static final int CONNECTIONS = 300;

    @Value("${local.verypoll.resp.port}")
    int port;

    @Autowired
    @Qualifier("resp")
    TcpServer resp;

    @Test
    void randomBytesCloseConnectionsAndNeverTheServer() throws Exception {
        RespNoise noise = new RespNoise(0x5EEDL);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(45);
        int sent = 0;
        for (; sent < CONNECTIONS && System.nanoTime() < deadline; sent++) {
            send(noise, noise.stream(2048));
        }
        assertThat(sent).as("connections fuzzed in the time given").isGreaterThan(50);
        await().atMost(Duration.ofSeconds(10)).until(() -> resp.activeConnections() == 0);
        assertThat(resp.handlerErrors()).as("handler errors").isZero();
        assertThat(resp.bufferedInputBytes()).as("input still held").isZero();
        assertThat(resp.closedConnections(CloseReason.FRAME_ERROR)).isPositive();
        assertThat(resp.closedConnections(CloseReason.FRAME_TOO_LONG)).isPositive();
        try (RespClient client = RespClient.connect(port)) {
            assertThat(client.call("PING")).isEqualTo("PONG");
            assertThat(client.call("SET", "after-fuzz", "fine")).isEqualTo("OK");
            assertThat(client.call("GET", "after-fuzz")).isEqualTo("fine");
        }
    }

    /** Writes {@code stream} in random chunks, ends it, and reads whatever comes back until the server closes. */
    private void send(RespNoise noise, byte[] stream) throws IOException {
        try (RespClient client = RespClient.connect(port)) {
            OutputStream out = client.socket().getOutputStream();
            try {
                for (int at = 0; at < stream.length; ) {
                    int to = Math.min(stream.length, at + noise.chunk());
                    out.write(stream, at, to - at);
                    at = to;
                }
                client.socket().shutdownOutput();
            } catch (IOException e) {
                // The server closed first (a frame error, a limit, or QUIT among the noise): fine.
            }
            InputStream in = client.socket().getInputStream();
            byte[] sink = new byte[8192];
            try {
                while (in.read(sink) >= 0) {
                    // replies to whatever parsed as commands; the read timeout bounds this
                }
            } catch (java.net.SocketException e) {
                // reset after an early close: fine
            }
        }
    }
}
