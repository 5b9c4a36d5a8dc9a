package io.verypoll.epoll;

import static io.verypoll.TestUtil.READABLE;
import static io.verypoll.TestUtil.WRITABLE;
import static io.verypoll.TestUtil.expectEvents;
import static io.verypoll.TestUtil.expectNoEventsFor;
import static io.verypoll.TestUtil.expected;
import static org.assertj.core.api.Assertions.assertThat;

import io.verypoll.Events;
import io.verypoll.Interest;
import io.verypoll.Poll;
import io.verypoll.TestUtil;
import io.verypoll.TestUtil.Snapshot;
import io.verypoll.TestUtil.TcpPair;
import io.verypoll.Token;
import io.verypoll.net.TcpStream;
import java.net.ConnectException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What epoll tells and NIO cannot: the kernel's hang-up and error bits on the first event (mio's
 * behaviour), and a hang-up or reset of a socket that was not drained. Each case says what NIO
 * reports instead, which the shared suite checks on the NIO backend.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class KernelHintsTest {
    private static final Token ID = new Token(1);

    /** NIO: readable only; read-closed is learned at the read that returns -1. */
    @Test
    void peerShutdownIsReadClosedOnTheFirstEvent() throws Exception {
        try (Poll poll = Poll.open(); TcpPair pair = TcpPair.open()) {
            Events events = Events.withCapacity(8);
            poll.registry().register(pair.stream(), ID, Interest.READABLE);
            pair.peer().shutdownOutput();
            List<Snapshot> seen = expectEvents(poll, events, expected(ID, READABLE));
            assertThat(seen).hasSize(1);
            Snapshot first = seen.get(0);
            assertThat(first.readClosed()).as("read-closed on the first event").isTrue();
            assertThat(first.error()).isFalse();
            assertThat(first.writeClosed()).as("our half is open").isFalse();
            assertThat(pair.stream().read(ByteBuffer.allocate(8))).isEqualTo(-1);
            expectNoEventsFor(poll, events, Duration.ofMillis(150));
        }
    }

    /** NIO: readable only; the reset is learned when a read fails. */
    @Test
    void resetIsErrorOnTheFirstEvent() throws Exception {
        try (Poll poll = Poll.open(); TcpPair pair = TcpPair.open()) {
            Events events = Events.withCapacity(8);
            poll.registry().register(pair.stream(), ID, Interest.READABLE);
            pair.peer().setOption(StandardSocketOptions.SO_LINGER, 0);
            pair.peer().close();
            List<Snapshot> seen = expectEvents(poll, events, expected(ID, READABLE));
            assertThat(seen).hasSize(1);
            Snapshot first = seen.get(0);
            assertThat(first.error()).isTrue();
            assertThat(first.readClosed()).isTrue();
            assertThat(first.writeClosed()).isTrue();
        }
    }

    /** Both backends: writable + error + write-closed (NIO learns it while finishing the connect). */
    @Test
    void failedConnectIsErrorAndWriteClosedOnTheOnlyEvent() throws Exception {
        TcpStream connecting;
        try {
            connecting = TcpStream.connect(TestUtil.refusingAddress());
        } catch (ConnectException refusedAtOnce) {
            org.junit.jupiter.api.Assumptions.abort("connect refused synchronously: no event to look at");
            return;
        }
        try (Poll poll = Poll.open(); TcpStream stream = connecting) {
            Events events = Events.withCapacity(8);
            poll.registry().register(stream, ID, Interest.READABLE.add(Interest.WRITABLE));
            List<Snapshot> seen = expectEvents(poll, events, expected(ID, WRITABLE | TestUtil.ERROR | TestUtil.WRITE_CLOSED));
            assertThat(seen).hasSize(1);
            assertThat(seen.get(0).readable()).as("a read does not block either: it fails").isTrue();
            assertThat(stream.takeError()).isInstanceOf(ConnectException.class);
            expectNoEventsFor(poll, events, Duration.ofMillis(150));
        }
    }

    /**
     * Data came and was not read, then the peer reset the connection. NIO stays silent (the source
     * is owed nothing until it is drained) and the reset waits for the next read; epoll reports it
     * once, and then the source is quiet again.
     */
    @Test
    void resetOfAnUndrainedSocketIsReported() throws Exception {
        try (Poll poll = Poll.open(); TcpPair pair = TcpPair.open()) {
            Events events = Events.withCapacity(8);
            poll.registry().register(pair.stream(), ID, Interest.READABLE);
            pair.peer().write(ByteBuffer.wrap(TestUtil.DATA1));
            List<Snapshot> seen = expectEvents(poll, events, expected(ID, READABLE));
            assertThat(seen).allMatch(Snapshot::noHints);
            // Not drained: more data gives nothing (the contract), but a reset is news.
            pair.peer().write(ByteBuffer.wrap(TestUtil.DATA2));
            expectNoEventsFor(poll, events, Duration.ofMillis(100));
            pair.peer().setOption(StandardSocketOptions.SO_LINGER, 0);
            pair.peer().close();
            seen = expectEvents(poll, events, expected(ID, READABLE | TestUtil.ERROR | TestUtil.READ_CLOSED));
            assertThat(seen).hasSize(1);
            expectNoEventsFor(poll, events, Duration.ofMillis(150));
        }
    }

    /** The peer's close of a socket not drained: read-closed comes once. */
    @Test
    void peerCloseOfAnUndrainedSocketIsReportedOnce() throws Exception {
        try (Poll poll = Poll.open(); TcpPair pair = TcpPair.open()) {
            Events events = Events.withCapacity(8);
            poll.registry().register(pair.stream(), ID, Interest.READABLE);
            pair.peer().write(ByteBuffer.wrap(TestUtil.DATA1));
            expectEvents(poll, events, expected(ID, READABLE));
            pair.peer().shutdownOutput();
            List<Snapshot> seen = expectEvents(poll, events, expected(ID, READABLE | TestUtil.READ_CLOSED));
            assertThat(seen).hasSize(1).noneMatch(Snapshot::error);
            expectNoEventsFor(poll, events, Duration.ofMillis(150));
            ByteBuffer in = ByteBuffer.allocate(64);
            assertThat(pair.stream().read(in)).isEqualTo(TestUtil.DATA1.length);
            assertThat(pair.stream().read(in)).isEqualTo(-1);
        }
    }
}
