package io.verypoll.demo.resp;

import io.verypoll.demo.resp.RespClient.Err;
import io.verypoll.spring.boot.server.CloseReason;
import io.verypoll.spring.boot.server.TcpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.verypoll.demo.resp.Resp.ascii;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * DEBUG SLEEP, the RESP server's blocking command, runs on the offload executor; pipelined commands
 * behind it, slow or fast, are answered in request order. Same context as {@link RespServerTest}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE, properties = {
        "verypoll.loops=2",
        "verypoll.shutdown-timeout=0s",
        "verypoll.server-defaults.port=0"})
@Timeout(60)
class RespOffloadTest {

    @Value("${local.verypoll.resp.port}")
    int port;

    @Autowired
    @Qualifier("resp")
    TcpServer resp;

    @AfterEach
    void nothingFailedOrLeftInFlight() {
        assertThat(resp.handlerErrors()).isZero();
        await().atMost(Duration.ofSeconds(10)).until(() -> resp.offloadsInFlight() == 0);
    }

    @Test
    void fastCommandsPipelinedBehindASlowOneAreAnsweredAfterIt() throws Exception {
        try (RespClient client = RespClient.connect(port)) {
            // Answered at once, PING's reply would come before the sleep's.
            client.send(Resp.concat(List.of(
                    Resp.command("DEBUG", "SLEEP", "0.3"),
                    Resp.command("PING"),
                    Resp.command("SET", "offload:k", "v"),
                    Resp.command("GET", "offload:k"),
                    Resp.command("INCR", "offload:n"),
                    Resp.command("DEBUG", "SLEEP", "0"),
                    Resp.command("ECHO", "last"))));
            assertThat(client.read()).isEqualTo("OK");
            assertThat(client.read()).isEqualTo("PONG");
            assertThat(client.read()).isEqualTo("OK");
            assertThat(client.read()).isEqualTo("v");
            assertThat(client.read()).isEqualTo(1L);
            assertThat(client.read()).isEqualTo("OK");
            assertThat(client.read()).isEqualTo("last");
            assertThat(client.call("PING")).isEqualTo("PONG");
        }
    }

    @Test
    void sleepsFinishingOutOfOrderAreRepliedInOrder() throws Exception {
        try (RespClient client = RespClient.connect(port)) {
            ByteArrayOutputStream batch = new ByteArrayOutputStream();
            // Each sleep shorter than the one before: the work completes in the reverse order.
            for (int i = 0; i < 12; i++) {
                batch.writeBytes(Resp.command("DEBUG", "SLEEP", "0." + String.format("%03d", 240 - 20 * i)));
                batch.writeBytes(Resp.command("ECHO", "after " + i));
            }
            client.send(batch.toByteArray());
            for (int i = 0; i < 12; i++) {
                assertThat(client.read()).isEqualTo("OK");
                assertThat(client.read()).isEqualTo("after " + i);
            }
        }
    }

    @Test
    void manyMoreThanMaxInFlightPipelinedRunInRequestOrder() throws Exception {
        try (RespClient client = RespClient.connect(port)) {
            ByteArrayOutputStream batch = new ByteArrayOutputStream();
            List<Object> expected = new ArrayList<>();
            long counter = 0;
            for (int i = 0; i < 300; i++) {
                switch (i % 5) {
                    case 0, 1, 3 -> {
                        batch.writeBytes(Resp.command("DEBUG", "SLEEP", "0.001"));
                        expected.add("OK");
                    }
                    case 2 -> {
                        // INCR's result numbers the commands in the order they ran.
                        batch.writeBytes(Resp.command("INCR", "offload:order"));
                        expected.add(++counter);
                    }
                    default -> {
                        batch.writeBytes(Resp.command("GET", "offload:order"));
                        expected.add(Long.toString(counter));
                    }
                }
            }
            client.send(batch.toByteArray());
            List<Object> replies = new ArrayList<>();
            for (int i = 0; i < expected.size(); i++) {
                replies.add(client.read());
            }
            assertThat(replies).isEqualTo(expected);
        }
    }

    @Test
    void badDebugCommandsAreErrorsInTheirTurn() throws Exception {
        try (RespClient client = RespClient.connect(port)) {
            String range = "ERR DEBUG SLEEP takes a number of seconds from 0 to 3600, such as 0.25";
            assertThat(client.call("DEBUG")).isEqualTo(new Err("ERR wrong number of arguments for 'debug' command"));
            assertThat(client.call("DEBUG", "OBJECT", "k"))
                    .isEqualTo(new Err("ERR unknown subcommand 'OBJECT'. This server knows DEBUG SLEEP only."));
            assertThat(client.call("DEBUG", "SLEEP")).isEqualTo(new Err("ERR wrong number of arguments for 'debug|sleep' command"));
            for (String bad : List.of("", "-1", "abc", "1e3", "0.5.5", ".", "3600.1", "3601", "99999999999999999999")) {
                assertThat(client.call("DEBUG", "SLEEP", bad)).as(bad).isEqualTo(new Err(range));
            }
            assertThat(client.call("debug", "sleep", ".01")).isEqualTo("OK");
            // An error behind a sleep waits for it too.
            client.send(Resp.concat(List.of(Resp.command("DEBUG", "SLEEP", "0.2"), Resp.command("DEBUG", "SLEEP", "x"))));
            assertThat(client.read()).isEqualTo("OK");
            assertThat(client.read()).isEqualTo(new Err(range));
        }
    }

    @Test
    void aCommandOverTheLimitBehindASleepIsAnsweredAfterItThenTheConnectionCloses() throws Exception {
        long before = resp.closedConnections(CloseReason.FRAME_TOO_LONG);
        try (RespClient client = RespClient.connect(port)) {
            client.send(Resp.concat(List.of(Resp.command("DEBUG", "SLEEP", "0.2"),
                    ascii("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$9000000\r\n"))));
            assertThat(client.read()).isEqualTo("OK");
            assertThat(client.read()).isEqualTo(new Err("ERR Protocol error: bulk string too long (9000000, at most 8388608)"));
            assertThat(client.closedByServer()).isTrue();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> resp.closedConnections(CloseReason.FRAME_TOO_LONG) == before + 1);
    }

    @Test
    void quitBehindASleepAnswersBothThenCloses() throws Exception {
        try (RespClient client = RespClient.connect(port)) {
            client.send(Resp.concat(List.of(Resp.command("DEBUG", "SLEEP", "0.1"), Resp.command("QUIT"),
                    Resp.command("PING"))));
            assertThat(client.read()).isEqualTo("OK");
            assertThat(client.read()).isEqualTo("OK");
            assertThat(client.closedByServer()).isTrue(); // PING, after QUIT, got no reply
        }
    }
}
