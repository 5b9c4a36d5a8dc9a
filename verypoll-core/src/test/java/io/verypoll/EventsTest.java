package io.verypoll;

import static io.verypoll.TestUtil.anyLocalAddress;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.verypoll.net.UdpSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** mio's events.rs, plus capacity and formatting. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class EventsTest {

    private static final Token WAKE_TOKEN = new Token(10);

    @Test
    void eventsAll() throws Exception {
        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(16);
            assertThat(events.capacity()).isEqualTo(16);
            assertThat(events.isEmpty()).isTrue();
            assertThat(events.size()).isZero();

            Waker waker = new Waker(poll.registry(), WAKE_TOKEN);
            waker.wake();
            poll.poll(events, Duration.ofMillis(500));

            assertThat(events.isEmpty()).isFalse();
            assertThat(events.size()).isEqualTo(1);
            int iterated = 0;
            for (Event event : events) {
                assertThat(event.token()).isEqualTo(WAKE_TOKEN);
                assertThat(event.isReadable()).isTrue();
                assertThat(event.isPriority()).isFalse();
                iterated++;
            }
            assertThat(iterated).isEqualTo(events.size());
            assertThat(events.get(0).token()).isEqualTo(WAKE_TOKEN);

            events.clear();
            assertThat(events.isEmpty()).isTrue();
            assertThat(events.size()).isZero();
            assertThat(events.iterator().hasNext()).isFalse();
            assertThat(events.capacity()).isEqualTo(16);
        }
    }

    @Test
    void withCapacityRejectsLessThanOne() {
        assertThatThrownBy(() -> Events.withCapacity(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Events.withCapacity(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Events.withCapacity(1).capacity()).isEqualTo(1);
    }

    @Test
    void toStringOfEventAndEvents() throws Exception {
        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(4);
            new Waker(poll.registry(), WAKE_TOKEN).wake();
            poll.poll(events, Duration.ofMillis(500));
            assertThat(events.size()).isEqualTo(1);
            assertThat(events.get(0)).hasToString(
                    "Event { token: Token(10), readable: true, writable: false, error: false, "
                    + "read_closed: false, write_closed: false, priority: false }");
            assertThat(events.toString()).contains("Token(10)");
        }
    }

    /** At most capacity() events per poll; the rest come on the next polls, each exactly once. */
    @Test
    void capacityIsHonouredAndTheRestComeNext() throws Exception {
        int n = 5;
        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(2);
            List<UdpSocket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < n; i++) {
                    UdpSocket s = UdpSocket.bind(anyLocalAddress());
                    sockets.add(s);
                    poll.registry().register(s, new Token(i), Interest.WRITABLE);
                }
                Set<Token> seen = new HashSet<>();
                long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
                int polls = 0;
                while (seen.size() < n && System.nanoTime() < deadline) {
                    poll.poll(events, Duration.ofMillis(500));
                    polls++;
                    assertThat(events.size()).isLessThanOrEqualTo(2);
                    for (Event e : events) {
                        assertThat(e.isWritable()).isTrue();
                        assertThat(seen.add(e.token())).as("token seen twice: %s", e.token()).isTrue();
                    }
                }
                assertThat(seen).hasSize(n);
                assertThat(polls).isGreaterThanOrEqualTo(3);
                // Edge semantics: nothing more until a write would block.
                TestUtil.expectNoEvents(poll, events);
            } finally {
                for (UdpSocket s : sockets) s.close();
            }
        }
    }

    /** poll clears the events of the previous call first. */
    @Test
    void pollClearsPreviousEvents() throws Exception {
        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(4);
            new Waker(poll.registry(), WAKE_TOKEN).wake();
            poll.poll(events, Duration.ofMillis(500));
            assertThat(events.size()).isEqualTo(1);
            poll.poll(events, Duration.ZERO);
            assertThat(events.isEmpty()).isTrue();
        }
    }
}
