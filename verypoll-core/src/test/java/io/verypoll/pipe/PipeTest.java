package io.verypoll.pipe;

import static io.verypoll.TestUtil.ERROR;
import static io.verypoll.TestUtil.READABLE;
import static io.verypoll.TestUtil.READ_CLOSED;
import static io.verypoll.TestUtil.WRITABLE;
import static io.verypoll.TestUtil.assertReadWouldBlock;
import static io.verypoll.TestUtil.checkedWrite;
import static io.verypoll.TestUtil.expectEvents;
import static io.verypoll.TestUtil.expectNoEvents;
import static io.verypoll.TestUtil.expectNoEventsFor;
import static io.verypoll.TestUtil.expectRead;
import static io.verypoll.TestUtil.expected;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.verypoll.Events;
import io.verypoll.Interest;
import io.verypoll.Poll;
import io.verypoll.TestUtil.Bg;
import io.verypoll.TestUtil.Snapshot;
import io.verypoll.Token;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** mio's unix_pipe.rs. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class PipeTest {

    private static final Token RECEIVER = new Token(0);
    private static final Token SENDER = new Token(1);
    private static final byte[] DATA1 = "Hello world".getBytes();

    @Test
    void smoke() throws Exception {
        Pipe pipe = Pipe.open();
        try (Poll poll = Poll.open(); Sender sender = pipe.sender(); Receiver receiver = pipe.receiver()) {
            Events events = Events.withCapacity(8);
            assertReadWouldBlock(receiver);
            poll.registry().register(receiver, RECEIVER, Interest.READABLE);
            poll.registry().register(sender, SENDER, Interest.WRITABLE);
            expectEvents(poll, events, expected(SENDER, WRITABLE));
            checkedWrite(sender, DATA1);
            expectEvents(poll, events, expected(RECEIVER, READABLE));
            expectRead(receiver, DATA1);
            assertReadWouldBlock(receiver);
            expectNoEvents(poll, events);
        }
    }

    /** mio's event_when_sender_is_dropped: end of stream is readable, then read-closed is known. */
    @Test
    void eventWhenSenderIsClosed() throws Exception {
        Pipe pipe = Pipe.open();
        try (Poll poll = Poll.open(); Receiver receiver = pipe.receiver()) {
            Events events = Events.withCapacity(8);
            Sender sender = pipe.sender();
            poll.registry().register(receiver, RECEIVER, Interest.READABLE);
            CyclicBarrier barrier = new CyclicBarrier(2);
            Bg thread = Bg.start("sender", () -> {
                checkedWrite(sender, DATA1);
                barrier.await(10, TimeUnit.SECONDS);
                barrier.await(10, TimeUnit.SECONDS);
                sender.close();
                barrier.await(10, TimeUnit.SECONDS);
            });
            barrier.await(10, TimeUnit.SECONDS); // written
            expectEvents(poll, events, expected(RECEIVER, READABLE));
            expectRead(receiver, DATA1);
            assertReadWouldBlock(receiver); // re-arm
            barrier.await(10, TimeUnit.SECONDS);
            barrier.await(10, TimeUnit.SECONDS); // closed

            poll.poll(events, Duration.ofSeconds(1));
            List<Snapshot> got = io.verypoll.TestUtil.snapshot(events);
            assertThat(got).hasSize(1);
            assertThat(got.get(0).token()).isEqualTo(RECEIVER);
            assertThat(got.get(0).readable()).isTrue();
            assertThat(got.get(0).error()).isFalse();
            assertThat(receiver.read(ByteBuffer.allocate(8))).isEqualTo(-1);
            expectNoEventsFor(poll, events, Duration.ofMillis(150)); // no spin at end of stream
            poll.registry().reregister(receiver, RECEIVER, Interest.READABLE);
            assertThat(expectEvents(poll, events, expected(RECEIVER, READ_CLOSED)))
                    .noneMatch(Snapshot::error).noneMatch(Snapshot::writeClosed);
            thread.join();
        }
    }

    /**
     * mio's event_when_receiver_is_dropped: with writing re-armed (the pipe was full), closing the
     * receiver wakes the sender; the write then fails and the error is known from then on.
     */
    @Test
    void eventWhenReceiverIsClosed() throws Exception {
        Pipe pipe = Pipe.open();
        try (Poll poll = Poll.open(); Sender sender = pipe.sender()) {
            Events events = Events.withCapacity(8);
            Receiver receiver = pipe.receiver();
            poll.registry().register(sender, SENDER, Interest.WRITABLE);
            expectEvents(poll, events, expected(SENDER, WRITABLE));
            ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
            int n;
            int rounds = 0;
            do {
                n = sender.write(chunk.clear());
            } while (n > 0 && ++rounds < 10_000);
            assertThat(n).as("pipe full: write would block").isZero();
            expectNoEvents(poll, events);
            Bg thread = Bg.start("receiver", receiver::close);
            thread.join();
            expectEvents(poll, events, expected(SENDER, WRITABLE));
            assertThatThrownBy(() -> sender.write(ByteBuffer.wrap(DATA1)))
                    .isInstanceOf(IOException.class).isNotInstanceOf(ClosedChannelException.class);
            expectNoEventsFor(poll, events, Duration.ofMillis(150)); // no spin after the error
            poll.registry().reregister(sender, SENDER, Interest.WRITABLE);
            expectEvents(poll, events, expected(SENDER, ERROR));
        }
    }

    @Test
    void nonBlockingFromBirth() throws Exception {
        Pipe pipe = Pipe.open();
        try (Sender sender = pipe.sender(); Receiver receiver = pipe.receiver()) {
            assertThat(receiver.read(ByteBuffer.allocate(16))).isZero();
            ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
            int n;
            int rounds = 0;
            do {
                n = sender.write(chunk.clear());
            } while (n > 0 && ++rounds < 10_000);
            assertThat(n).isZero();
            assertThat(chunk.hasRemaining()).isTrue();
        }
    }

    @Test
    void closedEnds() throws Exception {
        Pipe pipe = Pipe.open();
        Sender sender = pipe.sender();
        Receiver receiver = pipe.receiver();
        sender.close();
        assertThat(sender.isOpen()).isFalse();
        assertThatThrownBy(() -> sender.write(ByteBuffer.wrap(DATA1))).isInstanceOf(ClosedChannelException.class);
        assertThat(receiver.read(ByteBuffer.allocate(16))).isEqualTo(-1);
        receiver.close();
        assertThatThrownBy(() -> receiver.read(ByteBuffer.allocate(16))).isInstanceOf(ClosedChannelException.class);
    }
}
