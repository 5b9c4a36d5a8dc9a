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
import java.util.List;
import java.util.Random;

import static io.verypoll.demo.resp.Resp.ascii;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The demo's RESP server over loopback, spoken to by a small client written for the test. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE, properties = {
        "verypoll.loops=2",
        "verypoll.shutdown-timeout=0s",
        "verypoll.server-defaults.port=0"})
@Timeout(60)
class RespServerTest {

    @Value("${local.verypoll.resp.port}")
    int port;

    @Autowired
    @Qualifier("resp")
    TcpServer resp;

    @Autowired
    RespStore store;

    @AfterEach
    void noHandlerFailed() {
        assertThat(resp.handlerErrors()).isZero();
    }

    @Test
    void theCommandsRedisBenchmarkAndRedisCliUse() throws Exception {
        try (RespClient client = RespClient.connect(port)) {
            assertThat(client.call("PING")).isEqualTo("PONG");
            assertThat(client.call("PING", "hello")).isEqualTo("hello");
            assertThat(client.call("ECHO", "a\r\nb")).isEqualTo("a\r\nb");
            assertThat(client.call("GET", "basics:k")).isNull();
            assertThat(client.call("SET", "basics:k", "v1")).isEqualTo("OK");
            assertThat(client.call("GET", "basics:k")).isEqualTo("v1");
            assertThat(client.call("SET", "basics:k", "")).isEqualTo("OK");
            assertThat(client.call("GET", "basics:k")).isEqualTo("");
            assertThat(client.call("INCR", "basics:n")).isEqualTo(1L);
            assertThat(client.call("INCR", "basics:n")).isEqualTo(2L);
            assertThat(client.call("SET", "basics:n", "-5")).isEqualTo("OK");
            assertThat(client.call("INCR", "basics:n")).isEqualTo(-4L);
            assertThat(client.call("EXISTS", "basics:k", "basics:n", "basics:none", "basics:k")).isEqualTo(3L);
            assertThat(client.call("DEL", "basics:k", "basics:none")).isEqualTo(1L);
            assertThat(client.call("EXISTS", "basics:k")).isEqualTo(0L);
            assertThat(client.call("CONFIG", "GET", "save")).isEqualTo(List.of("save", ""));
            assertThat(client.call("config", "get", "appendonly")).isEqualTo(List.of("appendonly", "no"));
            assertThat(client.call("CONFIG", "GET", "*")).isEqualTo(List.of("save", "", "appendonly", "no"));
            assertThat(client.call("CONFIG", "GET", "APPEND*", "s?ve")).isEqualTo(List.of("save", "", "appendonly", "no"));
            assertThat(client.call("CONFIG", "GET", "maxmemory")).isEqualTo(List.of());
            // Names in any case, compared in place.
            assertThat(client.call("set", "basics:k", "x")).isEqualTo("OK");
            assertThat(client.call("gEt", "basics:k")).isEqualTo("x");
        }
    }

    @Test
    void errorsAreRepliesAndTheConnectionGoesOn() throws Exception {
        try (RespClient client = RespClient.connect(port)) {
            assertThat(client.call("FLUSHALL")).isEqualTo(new Err("ERR unknown command 'FLUSHALL'"));
            assertThat(client.call("GET")).isEqualTo(new Err("ERR wrong number of arguments for 'get' command"));
            assertThat(client.call("GET", "a", "b")).isEqualTo(new Err("ERR wrong number of arguments for 'get' command"));
            assertThat(client.call("SET", "k")).isEqualTo(new Err("ERR wrong number of arguments for 'set' command"));
            assertThat(client.call("SET", "errors:k", "v", "NX", "XX")).isEqualTo(new Err("ERR syntax error"));
            assertThat(client.call("SET", "errors:k", "v", "EX")).isEqualTo(new Err("ERR syntax error"));
            assertThat(client.call("SET", "errors:k", "v", "EX", "0"))
                    .isEqualTo(new Err("ERR invalid expire time in 'set' command"));
            assertThat(client.call("SET", "errors:k", "v", "PX", "ten"))
                    .isEqualTo(new Err("ERR value is not an integer or out of range"));
            assertThat(client.call("SET", "errors:s", "abc")).isEqualTo("OK");
            assertThat(client.call("INCR", "errors:s")).isEqualTo(new Err("ERR value is not an integer or out of range"));
            assertThat(client.call("SET", "errors:s", "9223372036854775807")).isEqualTo("OK");
            assertThat(client.call("INCR", "errors:s")).isEqualTo(new Err("ERR increment or decrement would overflow"));
            assertThat(client.call("SET", "errors:s", "007")).isEqualTo("OK");
            assertThat(client.call("INCR", "errors:s")).isEqualTo(new Err("ERR value is not an integer or out of range"));
            assertThat(client.call("CONFIG", "SET", "save", "")).isInstanceOf(Err.class);
            assertThat(client.call("PING")).isEqualTo("PONG");
        }
    }

    @Test
    void setConditionsAndExpiry() throws Exception {
        try (RespClient client = RespClient.connect(port)) {
            assertThat(client.call("SET", "ttl:a", "1", "XX")).isNull();
            assertThat(client.call("SET", "ttl:a", "1", "NX")).isEqualTo("OK");
            assertThat(client.call("SET", "ttl:a", "2", "NX")).isNull();
            assertThat(client.call("SET", "ttl:a", "3", "xx", "ex", "100")).isEqualTo("OK");
            assertThat(client.call("GET", "ttl:a")).isEqualTo("3");
            assertThat(client.call("SET", "ttl:b", "10", "PX", "150")).isEqualTo("OK");
            assertThat(client.call("INCR", "ttl:b")).isEqualTo(11L); // keeps its deadline
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                    .until(() -> client.call("GET", "ttl:b") == null);
            assertThat(client.call("EXISTS", "ttl:b")).isEqualTo(0L);
            assertThat(client.call("SET", "ttl:b", "new", "NX")).isEqualTo("OK"); // expired counts as absent
            assertThat(client.call("GET", "ttl:a")).isEqualTo("3");
        }
    }

    @Test
    void inlineCommandsAsTypedIntoTelnet() throws Exception {
        try (RespClient client = RespClient.connect(port)) {
            client.send(ascii("PING\r\nSET inline:k hello\nget   inline:k\r\n\r\nECHO\tx\r\n"));
            assertThat(client.read()).isEqualTo("PONG");
            assertThat(client.read()).isEqualTo("OK");
            assertThat(client.read()).isEqualTo("hello");
            assertThat(client.read()).isEqualTo("x"); // the empty line got no reply
        }
    }

    @Test
    void aThousandPipelinedCommandsAnsweredInOrder() throws Exception {
        try (RespClient client = RespClient.connect(port)) {
            ByteArrayOutputStream batch = new ByteArrayOutputStream();
            for (int i = 0; i < 1000; i++) {
                batch.writeBytes(switch (i % 4) {
                    case 0 -> Resp.command("SET", "pipe:" + i, "value-" + i);
                    case 1 -> Resp.command("GET", "pipe:" + (i - 1));
                    case 2 -> Resp.command("INCR", "pipe:counter");
                    default -> Resp.command("EXISTS", "pipe:" + (i - 3), "pipe:none");
                });
            }
            client.send(batch.toByteArray());
            for (int i = 0; i < 1000; i++) {
                Object reply = client.read();
                switch (i % 4) {
                    case 0 -> assertThat(reply).isEqualTo("OK");
                    case 1 -> assertThat(reply).isEqualTo("value-" + (i - 1));
                    case 2 -> assertThat(reply).isEqualTo((long) (i / 4 + 1));
                    default -> assertThat(reply).isEqualTo(1L);
                }
            }
        }
    }

    @Test
    void keysAreSharedByConnectionsOnEveryLoop() throws Exception {
        try (RespClient a = RespClient.connect(port); RespClient b = RespClient.connect(port)) {
            assertThat(a.call("PING")).isEqualTo("PONG");
            assertThat(b.call("PING")).isEqualTo("PONG");
            // Two accepts in a row land on both loops (round robin).
            assertThat(a.call("SET", "shared:k", "from a")).isEqualTo("OK");
            assertThat(b.call("GET", "shared:k")).isEqualTo("from a");
            for (int i = 0; i < 100; i++) {
                (i % 2 == 0 ? a : b).call("INCR", "shared:n");
            }
            assertThat(a.call("GET", "shared:n")).isEqualTo("100");
        }
    }

    @Test
    void aLargeValueGoesInAndComesBackIntact() throws Exception {
        byte[] value = new byte[900 * 1024];
        new Random(11).nextBytes(value);
        try (RespClient client = RespClient.connect(port)) {
            client.send(Resp.command(ascii("SET"), ascii("large:k"), value));
            assertThat(client.read()).isEqualTo("OK");
            assertThat(client.call("GET", "large:k")).isEqualTo(Resp.text(value));
            assertThat(client.call("ECHO", Resp.text(value))).isEqualTo(Resp.text(value));
        }
    }

    @Test
    void aCommandOverTheLimitGetsAnErrorThenTheConnectionCloses() throws Exception {
        long before = resp.closedConnections(CloseReason.FRAME_TOO_LONG);
        try (RespClient client = RespClient.connect(port)) {
            assertThat(client.call("PING")).isEqualTo("PONG");
            // Only the header: the limit is seen before a byte of the value is sent.
            client.send(ascii("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$9000000\r\n"));
            assertThat(client.read()).isEqualTo(new Err("ERR Protocol error: bulk string too long (9000000, at most 8388608)"));
            assertThat(client.closedByServer()).isTrue();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> resp.closedConnections(CloseReason.FRAME_TOO_LONG) == before + 1);
    }

    @Test
    void aMalformedRequestClosesTheConnectionAsAFrameError() throws Exception {
        long before = resp.closedConnections(CloseReason.FRAME_ERROR);
        try (RespClient client = RespClient.connect(port)) {
            client.send(ascii("PING\r\n*1\r\n+PING\r\n"));
            assertThat(client.read()).isEqualTo("PONG"); // what came before is answered
            assertThat(client.closedByServer()).isTrue();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> resp.closedConnections(CloseReason.FRAME_ERROR) == before + 1);
    }

    @Test
    void quitAnswersThenCloses() throws Exception {
        try (RespClient client = RespClient.connect(port)) {
            assertThat(client.call("QUIT")).isEqualTo("OK");
            assertThat(client.closedByServer()).isTrue();
        }
    }
}
