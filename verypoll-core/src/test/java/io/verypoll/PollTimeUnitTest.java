package io.verypoll;

import static io.verypoll.TestUtil.anyLocalAddress;
import static io.verypoll.TestUtil.awaitInPoll;
import static io.verypoll.TestUtil.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.verypoll.TestUtil.Bg;
import io.verypoll.TestUtil.Snapshot;
import io.verypoll.net.UdpSocket;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedSelectorException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code Poll.poll(events, timeout, unit)}: the same contract as the Duration form. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class PollTimeUnitTest {
    private static final Token ID1 = new Token(1);

    private record Wait(long amount, TimeUnit unit, long millis) {}

    @Test
    void emptyPollWaitsTheTimeoutInEachUnit() throws Exception {
        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(4);
            for (Wait w : new Wait[] {
                new Wait(200, TimeUnit.MILLISECONDS, 200),
                new Wait(150_000, TimeUnit.MICROSECONDS, 150),
                new Wait(120_000_000, TimeUnit.NANOSECONDS, 120),
            }) {
                long t0 = System.nanoTime();
                poll.poll(events, w.amount(), w.unit());
                long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertThat(events.isEmpty()).isTrue();
                assertThat(elapsedMillis).as("%s", w).isGreaterThanOrEqualTo(w.millis()).isLessThan(w.millis() + 5_000);
            }
        }
    }

    @Test
    void zeroChecksWithoutBlocking() throws Exception {
        try (Poll poll = Poll.open(); UdpSocket socket = UdpSocket.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(4);
            long t0 = System.nanoTime();
            for (int i = 0; i < 100; i++) {
                poll.poll(events, 0, TimeUnit.DAYS);
                assertThat(events.isEmpty()).isTrue();
            }
            // 100 zero-timeout polls are syscalls only; a blocking one would take 20 s here (the @Timeout).
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(5_000);

            // What is ready is reported by a zero-timeout poll.
            poll.registry().register(socket, ID1, Interest.WRITABLE);
            poll.poll(events, 0, TimeUnit.NANOSECONDS);
            assertThat(snapshot(events)).extracting(Snapshot::token).containsExactly(ID1);
        }
    }

    /** Timeouts past Long.MAX_VALUE nanoseconds saturate: the poll blocks until an event, no overflow. */
    @Test
    void hugeTimeoutsBlockUntilAnEvent() throws Exception {
        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(4);
            Waker waker = new Waker(poll.registry(), ID1);
            for (TimeUnit unit : new TimeUnit[] {TimeUnit.NANOSECONDS, TimeUnit.MILLISECONDS, TimeUnit.DAYS}) {
                Thread me = Thread.currentThread();
                Bg bg = Bg.start("waker", () -> {
                    awaitInPoll(me); // it blocked, rather than returning at an overflowed deadline
                    waker.wake();
                });
                poll.poll(events, Long.MAX_VALUE, unit);
                assertThat(snapshot(events)).as("Long.MAX_VALUE %s", unit).extracting(Snapshot::token).containsExactly(ID1);
                bg.join();
            }
            // Something already ready comes at once, however long the timeout.
            waker.wake();
            long t0 = System.nanoTime();
            poll.poll(events, Long.MAX_VALUE, TimeUnit.DAYS);
            assertThat(snapshot(events)).extracting(Snapshot::token).containsExactly(ID1);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(5_000);
        }
    }

    @Test
    void subMillisecondTimeoutReturnsEmpty() throws Exception {
        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(4);
            for (int i = 0; i < 20; i++) {
                poll.poll(events, 1, TimeUnit.NANOSECONDS);
                assertThat(events.isEmpty()).isTrue();
            }
        }
    }

    @Test
    void interruptEndsTheWait() throws Exception {
        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(4);
            Thread me = Thread.currentThread();
            Bg bg = Bg.start("interrupter", () -> {
                awaitInPoll(me);
                me.interrupt();
            });
            try {
                assertThatThrownBy(() -> poll.poll(events, 1, TimeUnit.HOURS)).isInstanceOf(InterruptedIOException.class);
                assertThat(Thread.currentThread().isInterrupted()).as("interrupt status kept").isTrue();
            } finally {
                Thread.interrupted();
                bg.join();
            }
        }
    }

    @Test
    void misuse() throws Exception {
        Poll poll = Poll.open();
        Events events = Events.withCapacity(4);
        assertThatThrownBy(() -> poll.poll(events, -1, TimeUnit.NANOSECONDS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
        assertThatThrownBy(() -> poll.poll(events, Long.MIN_VALUE, TimeUnit.DAYS))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> poll.poll(null, 0, TimeUnit.SECONDS))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("events");
        assertThatThrownBy(() -> poll.poll(events, 0, null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("unit");
        poll.close();
        assertThatThrownBy(() -> poll.poll(events, 0, TimeUnit.SECONDS)).isInstanceOf(ClosedSelectorException.class);
    }
}
