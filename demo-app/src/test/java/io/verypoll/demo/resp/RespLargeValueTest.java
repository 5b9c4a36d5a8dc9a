package io.verypoll.demo.resp;

import io.verypoll.spring.boot.server.CloseReason;
import io.verypoll.spring.boot.server.TcpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static io.verypoll.demo.resp.Resp.ascii;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * Values of a mebibyte and more: SET and GET intact, and a GET larger than max-pending-bytes (256 KiB
 * here) reaching a slow reader whole, because the stored value is handed over, not copied; the same
 * bytes as an ECHO, which copies, close the connection at the cap.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE, properties = {
        "verypoll.loops=2",
        "verypoll.shutdown-timeout=0s",
        "verypoll.server-defaults.port=0",
        "verypoll.servers.resp.max-pending-bytes=256KB",
        "verypoll.servers.resp.high-watermark=64KB",
        "verypoll.servers.resp.low-watermark=32KB"})
@Timeout(90)
class RespLargeValueTest {

    private static final int MIB = 1 << 20;

    @Value("${local.verypoll.resp.port}")
    int port;

    @Autowired
    @Qualifier("resp")
    TcpServer resp;

    @AfterEach
    void noHandlerFailed() {
        assertThat(resp.handlerErrors()).isZero();
    }

    @Test
    void mebibyteValuesGoInAndComeBackIntact() throws Exception {
        byte[] a = random(MIB, 1);
        byte[] b = random(MIB, 2);
        try (RespClient client = RespClient.connect(port)) {
            client.send(Resp.command(ascii("SET"), ascii("large:a"), a));
            assertThat(client.read()).isEqualTo("OK");
            assertThat(client.call("GET", "large:a")).isEqualTo(Resp.text(a));
            // Pipelined: a SET, GETs of both values, another SET over the first, all in one write.
            client.send(Resp.concat(List.of(
                    Resp.command(ascii("SET"), ascii("large:b"), b),
                    Resp.command("GET", "large:a"),
                    Resp.command("GET", "large:b"),
                    Resp.command(ascii("SET"), ascii("large:a"), b),
                    Resp.command("GET", "large:a"),
                    Resp.command("PING"))));
            assertThat(client.read()).isEqualTo("OK");
            assertThat(client.read()).isEqualTo(Resp.text(a));
            assertThat(client.read()).isEqualTo(Resp.text(b));
            assertThat(client.read()).isEqualTo("OK");
            assertThat(client.read()).isEqualTo(Resp.text(b));
            assertThat(client.read()).isEqualTo("PONG");
        }
    }

    @Test
    void largeValuesKeptInTheirCommandsArrayBehaveAsCopiedOnes() throws Exception {
        byte[] a = random(MIB, 5);
        byte[] b = random(64 * 1024, 6);
        try (RespClient client = RespClient.connect(port)) {
            client.send(Resp.command(ascii("SET"), ascii("large:ex"), a, ascii("EX"), ascii("100")));
            assertThat(client.read()).isEqualTo("OK");
            client.send(Resp.command(ascii("SET"), ascii("large:ex"), b, ascii("NX")));
            assertThat(client.read()).as("NX on a key that has a value").isNull();
            assertThat(client.call("GET", "large:ex")).isEqualTo(Resp.text(a));
            client.send(Resp.command(ascii("SET"), ascii("large:xx"), b, ascii("XX")));
            assertThat(client.read()).as("XX on a key that has none").isNull();
            assertThat(client.call("GET", "large:xx")).isNull();
            assertThat(client.call("INCR", "large:ex")).isEqualTo(new RespClient.Err("ERR value is not an integer or out of range"));
            client.send(Resp.command(ascii("SET"), ascii("large:ex"), b));
            assertThat(client.read()).isEqualTo("OK");
            assertThat(client.call("GET", "large:ex")).isEqualTo(Resp.text(b));
            assertThat(client.call("DEL", "large:ex")).isEqualTo(1L);
        }
    }

    @Test
    void aValueLargerThanTheCapReachesASlowReaderWhole() throws Exception {
        byte[] value = random(beyondKernelBuffers(), 3);
        long capClosesBefore = resp.closedConnections(CloseReason.PENDING_CAP);
        try (RespClient writer = RespClient.connect(port); RespClient reader = RespClient.connect(port, 64 * 1024)) {
            writer.send(Resp.command(ascii("SET"), ascii("large:slow"), value));
            assertThat(writer.read()).isEqualTo("OK");
            reader.send(Resp.concat(List.of(Resp.command("GET", "large:slow"), Resp.command("PING"))));
            // 2 MiB/s: a few seconds for what the kernel's buffers cannot hold, while the server holds the rest.
            byte[] received = reader.readBulkPaced(2L * MIB);
            assertThat(received.length).as("bytes received").isEqualTo(value.length);
            assertThat(Arrays.mismatch(received, value)).as("first byte that differs").isEqualTo(-1);
            assertThat(reader.read()).isEqualTo("PONG");
            assertThat(reader.call("PING")).isEqualTo("PONG");
        }
        assertThat(resp.closedConnections(CloseReason.PENDING_CAP)).isEqualTo(capClosesBefore);
    }

    @Test
    void theSameBytesCopiedByEchoCloseASlowReaderAtTheCap() throws Exception {
        byte[] value = random(beyondKernelBuffers(), 4);
        long before = resp.closedConnections(CloseReason.PENDING_CAP);
        try (RespClient reader = RespClient.connect(port, 64 * 1024)) {
            reader.send(Resp.command(ascii("ECHO"), value));
            byte[] received = reader.readBulkPaced(2L * MIB);
            assertThat(received.length).isLessThan(value.length);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> resp.closedConnections(CloseReason.PENDING_CAP) == before + 1);
    }

    /**
     * 5 MiB, or 1 MiB more than the kernel's largest send buffer (tcp_wmem's maximum) where that is
     * larger: a reply the kernel cannot swallow at once, so that the server must hold over 256 KiB of it.
     */
    private static int beyondKernelBuffers() {
        long kernel = 4L * MIB;
        try {
            kernel = Long.parseLong(Files.readString(Path.of("/proc/sys/net/ipv4/tcp_wmem")).trim().split("\\s+")[2]);
        } catch (IOException | RuntimeException e) {
            // Not Linux: assume the usual maximum.
        }
        long size = Math.max(5L * MIB, kernel + MIB);
        assumeThat(size).as("tcp_wmem's maximum leaves no room under the 8 MiB command limit").isLessThan(8L * MIB - 64);
        return (int) size;
    }

    private static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
