package io.verypoll;

import static io.verypoll.TestUtil.expectEvents;
import static io.verypoll.TestUtil.expected;
import static io.verypoll.TestUtil.anyLocalAddress;
import static org.assertj.core.api.Assertions.assertThat;

import io.verypoll.net.UdpSocket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** mio's token.rs: Token is a value; any long round-trips through a poll unchanged. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class TokenTest {

    @Test
    void valueEqualityAndToString() {
        assertThat(new Token(10)).isEqualTo(new Token(10)).hasSameHashCodeAs(new Token(10));
        assertThat(new Token(10)).isNotEqualTo(new Token(11));
        assertThat(new Token(10).value()).isEqualTo(10L);
        assertThat(new Token(10)).hasToString("Token(10)");
        assertThat(new Token(0)).hasToString("Token(0)");
        assertThat(new Token(-1)).hasToString("Token(-1)");
    }

    @Test
    void everyLongRoundTripsThroughPoll() throws Exception {
        long[] values = {0, 1, -1, Long.MAX_VALUE, Long.MIN_VALUE, Integer.MAX_VALUE + 1L};
        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(16);
            UdpSocket[] sockets = new UdpSocket[values.length];
            try {
                TestUtil.ExpectedEvent[] exp = new TestUtil.ExpectedEvent[values.length];
                for (int i = 0; i < values.length; i++) {
                    sockets[i] = UdpSocket.bind(anyLocalAddress());
                    poll.registry().register(sockets[i], new Token(values[i]), Interest.WRITABLE);
                    exp[i] = expected(new Token(values[i]), Interest.WRITABLE);
                }
                var seen = expectEvents(poll, events, exp);
                assertThat(seen).extracting(TestUtil.Snapshot::token)
                        .allMatch(t -> java.util.Arrays.stream(values).anyMatch(v -> v == t.value()));
            } finally {
                for (UdpSocket s : sockets) if (s != null) s.close();
            }
        }
    }
}
