package io.verypoll.demo.resp;

import io.verypoll.spring.boot.frame.FrameTooLongException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Arrays;

import static io.verypoll.demo.resp.Resp.ascii;
import static io.verypoll.demo.resp.Resp.command;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every limit at N (passes) and N + 1 (fails), and failing early: as soon as a header's digits or
 * the lengths announced so far pass a limit, before the body (or the rest of the line) arrives.
 */
@Timeout(30)
class RespDecoderLimitsTest {

    /** 4 arguments, bulk strings of 50 bytes, inline lines of 12, commands of 60. */
    private static final RespLimits SMALL = new RespLimits(4, 50, 12, 60);

    private static RespCaller caller(RespLimits limits) {
        return new RespCaller(new RespRequestDecoder(limits), limits.maxCommandLength(), true);
    }

    private static void assertLimit(RespLimits limits, byte[] fed, String message) {
        RespCaller caller = caller(limits);
        assertThatThrownBy(() -> caller.feed(fed)).isInstanceOf(RespLimitException.class)
                .isInstanceOf(FrameTooLongException.class).hasMessageStartingWith(message);
    }

    @Test
    void argumentsAtTheLimitPassAndOneMoreFailsAtTheCount() {
        assertThat(caller(SMALL).feed(command("DEL", "a", "b", "c"))).hasSize(1);
        assertLimit(SMALL, ascii("*5"), "too many arguments (5, at most 4)");
        assertThat(caller(SMALL).feed(ascii("DEL a b c\n"))).hasSize(1);
        assertLimit(SMALL, ascii("DEL a b c d"), "too many arguments (5, at most 4)");
    }

    @Test
    void aBulkStringAtTheLimitPassesAndOneByteMoreFailsAtItsHeader() {
        RespLimits limits = new RespLimits(4, 50, 12, 1000);
        assertThat(caller(limits).feed(command("ECHO", "x".repeat(50)))).hasSize(1);
        // Before the CRLF after the length: its digits already say too much.
        assertLimit(limits, ascii("*2\r\n$4\r\nECHO\r\n$51"), "bulk string too long (51, at most 50)");
        assertLimit(limits, ascii("*2\r\n$4\r\nECHO\r\n$99999999999"), "bulk string too long (99, at most 50)");
    }

    @Test
    void anInlineLineAtTheLimitPassesAndOneByteMoreFailsBeforeItsEnd() {
        assertThat(caller(SMALL).feed(ascii("ECHO abcdefg\r\n"))).hasSize(1); // 12 bytes and CRLF
        assertThat(caller(SMALL).feed(ascii("ECHO abcdefg\n"))).hasSize(1);
        assertLimit(SMALL, ascii("ECHO abcdefgh\n"), "inline command too long (13, at most 12)");
        assertLimit(SMALL, ascii("ECHO abcdefgh"), "inline command too long (13, at most 12)");
        // 12 bytes and a CR: the CR may still be the terminator's, so it waits.
        RespCaller waiting = caller(SMALL);
        assertThat(waiting.feed(ascii("ECHO abcdefg\r"))).isEmpty();
        assertThat(waiting.feed(ascii("\n"))).hasSize(1);
    }

    @Test
    void aCommandAtTheLimitPassesAndOneByteMoreFailsBeforeItsBody() {
        byte[] sixty = command("GET", "v".repeat(40)); // 4 + 9 + 5 + 40 + 2
        assertThat(sixty).hasSize(60);
        assertThat(caller(SMALL).feed(sixty)).hasSize(1);
        assertLimit(SMALL, ascii("*2\r\n$3\r\nGET\r\n$41\r\n"), "command too long (61, at most 60)");
        // Arguments still to come count at their smallest ($0\r\n\r\n): 50 + 2 * 6 is over 60 already.
        assertLimit(SMALL, ascii("*4\r\n$3\r\nSET\r\n$30\r\n"), "command too long (62, at most 60)");
        // And the count alone: 4 + 10 * 6 > 60.
        assertLimit(new RespLimits(10, 50, 12, 60), ascii("*10\r\n"), "command too long (65, at most 60)");
        assertThat(caller(new RespLimits(10, 50, 12, 65)).feed(ascii("*10\r\n"))).isEmpty();
    }

    @Test
    void anInlineCommandLongerThanTheCommandLimitFailsBeforeItsEnd() {
        RespLimits limits = new RespLimits(4, 50, 12, 10);
        assertThat(caller(limits).feed(ascii("PING ABC\r\n"))).hasSize(1); // 10 bytes
        assertLimit(limits, ascii("PING ABCD\r\n"), "command too long (11, at most 10)");
        assertLimit(limits, ascii("PING ABCD\r"), "command too long (11, at most 10)");
    }

    @Test
    void theDefaultsTakeAnEightMebibyteCommand() {
        RespLimits limits = RespLimits.DEFAULTS;
        int value = (8 << 20) - 32; // 7 digits: a header of 30 bytes, then the value and CRLF
        byte[] header = ascii("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + value + "\r\n");
        byte[] wire = Arrays.copyOf(header, 8 << 20);
        Arrays.fill(wire, header.length, wire.length - 2, (byte) 'v');
        wire[wire.length - 2] = '\r';
        wire[wire.length - 1] = '\n';
        RespCaller caller = caller(limits);
        assertThat(caller.feedInChunks(wire, 65536, 1000, 7)).hasSize(1);
        byte[] oneMore = ascii("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + (value + 1) + "\r\n");
        assertLimit(limits, oneMore, "command too long (8388609, at most 8388608)");
    }
}
