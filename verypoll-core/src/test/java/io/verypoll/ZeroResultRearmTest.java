package io.verypoll;

import static io.verypoll.TestUtil.READABLE;
import static io.verypoll.TestUtil.WRITABLE;
import static io.verypoll.TestUtil.expectEvents;
import static io.verypoll.TestUtil.expected;
import static org.assertj.core.api.Assertions.assertThat;

import io.verypoll.TestUtil.TcpPair;
import io.verypoll.pipe.Pipe;
import io.verypoll.pipe.Receiver;
import io.verypoll.pipe.Sender;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A read or write that returns 0 is "would block" by the contract, so it must re-arm its
 * direction even when the cause is the caller's buffer (no room to read into, nothing to write):
 * a spurious event later is legal, a lost one is not.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ZeroResultRearmTest {
    private static final Token ID = new Token(1);
    private static final byte[] DATA = TestUtil.DATA1;

    private static ByteBuffer full() {
        return ByteBuffer.allocate(0);
    }

    @Test
    void streamReadIntoFullBufferRearms() throws Exception {
        try (Poll poll = Poll.open(); TcpPair pair = TcpPair.open()) {
            Events events = Events.withCapacity(4);
            poll.registry().register(pair.stream(), ID, Interest.READABLE);
            pair.peer().write(ByteBuffer.wrap(DATA));
            expectEvents(poll, events, expected(ID, READABLE));
            assertThat(pair.stream().read(full())).isZero();
            pair.peer().write(ByteBuffer.wrap(DATA));
            expectEvents(poll, events, expected(ID, READABLE));
        }
    }

    @Test
    void streamScatteringReadIntoFullBuffersRearms() throws Exception {
        try (Poll poll = Poll.open(); TcpPair pair = TcpPair.open()) {
            Events events = Events.withCapacity(4);
            poll.registry().register(pair.stream(), ID, Interest.READABLE);
            pair.peer().write(ByteBuffer.wrap(DATA));
            expectEvents(poll, events, expected(ID, READABLE));
            assertThat(pair.stream().read(new ByteBuffer[] {full(), full()})).isZero();
            pair.peer().write(ByteBuffer.wrap(DATA));
            expectEvents(poll, events, expected(ID, READABLE));
        }
    }

    @Test
    void streamWriteOfEmptyBufferRearms() throws Exception {
        try (Poll poll = Poll.open(); TcpPair pair = TcpPair.open()) {
            Events events = Events.withCapacity(4);
            poll.registry().register(pair.stream(), ID, Interest.WRITABLE);
            expectEvents(poll, events, expected(ID, WRITABLE));
            assertThat(pair.stream().write(ByteBuffer.allocate(0))).isZero();
            expectEvents(poll, events, expected(ID, WRITABLE));
        }
    }

    @Test
    void streamGatheringWriteOfEmptyBuffersRearms() throws Exception {
        try (Poll poll = Poll.open(); TcpPair pair = TcpPair.open()) {
            Events events = Events.withCapacity(4);
            poll.registry().register(pair.stream(), ID, Interest.WRITABLE);
            expectEvents(poll, events, expected(ID, WRITABLE));
            assertThat(pair.stream().write(new ByteBuffer[] {ByteBuffer.allocate(0)})).isZero();
            expectEvents(poll, events, expected(ID, WRITABLE));
        }
    }

    @Test
    void pipeReadIntoFullBufferRearms() throws Exception {
        Pipe pipe = Pipe.open();
        try (Poll poll = Poll.open(); Sender sender = pipe.sender(); Receiver receiver = pipe.receiver()) {
            Events events = Events.withCapacity(4);
            poll.registry().register(receiver, ID, Interest.READABLE);
            sender.write(ByteBuffer.wrap(DATA));
            expectEvents(poll, events, expected(ID, READABLE));
            assertThat(receiver.read(full())).isZero();
            sender.write(ByteBuffer.wrap(DATA));
            expectEvents(poll, events, expected(ID, READABLE));
        }
    }

    @Test
    void pipeWriteOfEmptyBufferRearms() throws Exception {
        Pipe pipe = Pipe.open();
        try (Poll poll = Poll.open(); Sender sender = pipe.sender(); Receiver receiver = pipe.receiver()) {
            Events events = Events.withCapacity(4);
            poll.registry().register(sender, ID, Interest.WRITABLE);
            expectEvents(poll, events, expected(ID, WRITABLE));
            assertThat(sender.write(ByteBuffer.allocate(0))).isZero();
            expectEvents(poll, events, expected(ID, WRITABLE));
        }
    }
}
