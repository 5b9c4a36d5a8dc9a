package io.verypoll.net;

import static io.verypoll.TestUtil.DATA1;
import static io.verypoll.TestUtil.READABLE;
import static io.verypoll.TestUtil.anyLocalAddress;
import static io.verypoll.TestUtil.anyLocalIpv6Address;
import static io.verypoll.TestUtil.checkedWrite;
import static io.verypoll.TestUtil.expectEvents;
import static io.verypoll.TestUtil.expected;
import static io.verypoll.TestUtil.nio;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.verypoll.Event;
import io.verypoll.Events;
import io.verypoll.Interest;
import io.verypoll.Poll;
import io.verypoll.TestUtil;
import io.verypoll.TestUtil.Snapshot;
import io.verypoll.TestUtil.TcpPair;
import io.verypoll.Token;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * mio's features that need the kernel's socket calls: {@code peek} (TCP, Unix, UDP), TCP TTL and
 * {@link Interest#PRIORITY}. Real on the epoll backend; on NIO each throws {@link
 * UnsupportedOperationException} naming the epoll backend. The suite runs on both backends, and
 * each test checks the behaviour of the one it runs on.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class EpollOnlyFeaturesTest {
    private static final Token ID = new Token(7);

    private static void assertNeedsEpoll(TestUtil.IoCall<?> call) {
        assertThatThrownBy(call::call).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("needs the epoll backend (-Dverypoll.backend=epoll");
    }

    private static String text(ByteBuffer b) {
        return new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII);
    }

    // ---- peek ---------------------------------------------------------------------------------

    @Test
    void tcpPeekLeavesTheBytesForTheRead() throws Exception {
        try (Poll poll = Poll.open(); TcpPair pair = TcpPair.open()) {
            if (nio()) {
                assertNeedsEpoll(() -> pair.stream().peek(ByteBuffer.allocate(8)));
                return;
            }
            Events events = Events.withCapacity(8);
            poll.registry().register(pair.stream(), ID, Interest.READABLE);
            checkedWrite(pair.peer(), DATA1);
            expectEvents(poll, events, expected(ID, READABLE));

            ByteBuffer five = ByteBuffer.allocate(5);
            assertThat(pair.stream().peek(five)).isEqualTo(5);
            assertThat(text(five)).isEqualTo("Hello");
            ByteBuffer all = ByteBuffer.allocate(64);
            assertThat(pair.stream().peek(all)).isEqualTo(DATA1.length);
            assertThat(Arrays.copyOf(all.array(), all.position())).isEqualTo(DATA1);
            ByteBuffer read = ByteBuffer.allocate(64);
            assertThat(pair.stream().read(read)).as("the peeked bytes are still there").isEqualTo(DATA1.length);
            assertThat(Arrays.copyOf(read.array(), read.position())).isEqualTo(DATA1);

            assertThat(pair.stream().peek(ByteBuffer.allocate(8))).as("would block").isZero();
            // Would-block re-armed reading: new data is reported.
            checkedWrite(pair.peer(), "more".getBytes(StandardCharsets.US_ASCII));
            expectEvents(poll, events, expected(ID, READABLE));
            ByteBuffer direct = ByteBuffer.allocateDirect(16);
            assertThat(pair.stream().peek(direct)).isEqualTo(4);
            assertThat(direct.flip().get()).isEqualTo((byte) 'm');
            assertThat(pair.stream().read(ByteBuffer.allocate(16))).isEqualTo(4);

            pair.peer().shutdownOutput();
            expectEvents(poll, events, expected(ID, READABLE));
            assertThat(pair.stream().peek(ByteBuffer.allocate(8))).as("end of stream").isEqualTo(-1);
        }
    }

    @Test
    void unixPeek() throws Exception {
        UnixStream[] pair = UnixStream.pair();
        try (UnixStream a = pair[0]; UnixStream b = pair[1]) {
            if (nio()) {
                assertNeedsEpoll(() -> b.peek(ByteBuffer.allocate(8)));
                return;
            }
            assertThat(b.peek(ByteBuffer.allocate(8))).as("nothing yet").isZero();
            checkedWrite(a, DATA1);
            ByteBuffer peeked = ByteBuffer.allocate(64);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (b.peek(peeked) == 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(Arrays.copyOf(peeked.array(), peeked.position())).isEqualTo(DATA1);
            ByteBuffer read = ByteBuffer.allocate(64);
            assertThat(b.read(read)).isEqualTo(DATA1.length);
        }
    }

    @Test
    void udpPeekFromLeavesTheDatagramQueued() throws Exception {
        try (Poll poll = Poll.open(); UdpSocket sender = UdpSocket.bind(anyLocalAddress());
             UdpSocket receiver = UdpSocket.bind(anyLocalAddress())) {
            if (nio()) {
                assertNeedsEpoll(() -> receiver.peekFrom(ByteBuffer.allocate(8)));
                assertNeedsEpoll(() -> receiver.peek(ByteBuffer.allocate(8)));
                return;
            }
            Events events = Events.withCapacity(8);
            poll.registry().register(receiver, ID, Interest.READABLE);
            assertThat(receiver.peekFrom(ByteBuffer.allocate(8))).as("would block").isNull();
            sender.sendTo(ByteBuffer.wrap(DATA1), receiver.localAddress());
            expectEvents(poll, events, expected(ID, READABLE));

            ByteBuffer five = ByteBuffer.allocate(5);
            assertThat(receiver.peekFrom(five)).isEqualTo(sender.localAddress());
            assertThat(text(five)).as("cut to the room, and still queued whole").isEqualTo("Hello");
            ByteBuffer whole = ByteBuffer.allocate(64);
            SocketAddress from = receiver.recvFrom(whole);
            assertThat(from).isEqualTo(sender.localAddress());
            assertThat(Arrays.copyOf(whole.array(), whole.position())).isEqualTo(DATA1);
            assertThat(receiver.peekFrom(ByteBuffer.allocate(8))).isNull();

            // Connected: peek gives the length, as recv.
            receiver.connect(sender.localAddress());
            sender.sendTo(ByteBuffer.wrap(new byte[] {1, 2, 3}), receiver.localAddress());
            expectEvents(poll, events, expected(ID, READABLE));
            ByteBuffer three = ByteBuffer.allocate(8);
            assertThat(receiver.peek(three)).isEqualTo(3);
            assertThat(receiver.recv(ByteBuffer.allocate(8))).isEqualTo(3);
            assertThat(receiver.peek(ByteBuffer.allocate(8))).isEqualTo(-1);
        }
    }

    // ---- TTL ----------------------------------------------------------------------------------

    @Test
    void tcpTtl() throws Exception {
        try (TcpPair pair = TcpPair.open()) {
            TcpStream stream = pair.stream();
            assertThatThrownBy(() -> stream.setTtl(0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> stream.setTtl(256)).isInstanceOf(IllegalArgumentException.class);
            if (nio()) {
                assertNeedsEpoll(stream::ttl);
                assertNeedsEpoll(() -> {
                    stream.setTtl(10);
                    return null;
                });
                return;
            }
            assertThat(stream.ttl()).isBetween(1, 255);
            stream.setTtl(17);
            assertThat(stream.ttl()).isEqualTo(17);
            // Still a working connection.
            stream.write(ByteBuffer.wrap(DATA1));
            ByteBuffer got = ByteBuffer.allocate(DATA1.length);
            while (got.hasRemaining()) {
                pair.peer().read(got);
            }
            assertThat(got.array()).isEqualTo(DATA1);
        }
    }

    @Test
    void tcpTtlOverIpv6IsTheHopLimit() throws Exception {
        assumeTrue(!nio() && TestUtil.ipv6Available(), "IPv6 loopback and the epoll backend");
        try (java.nio.channels.ServerSocketChannel listener = java.nio.channels.ServerSocketChannel.open()) {
            listener.bind(anyLocalIpv6Address());
            try (TcpStream stream = TcpStream.connect(listener.getLocalAddress());
                 java.nio.channels.SocketChannel peer = listener.accept()) {
                stream.setTtl(9);
                assertThat(stream.ttl()).isEqualTo(9);
            }
        }
    }

    // ---- PRIORITY -----------------------------------------------------------------------------

    @Test
    void priorityInterestCombinesAndPrints() {
        Interest all = Interest.READABLE.add(Interest.WRITABLE).add(Interest.PRIORITY);
        assertThat(all.isPriority()).isTrue();
        assertThat(all).hasToString("READABLE | WRITABLE | PRIORITY");
        assertThat(all.remove(Interest.READABLE.add(Interest.WRITABLE))).contains(Interest.PRIORITY);
        assertThat(Interest.PRIORITY.isReadable() || Interest.PRIORITY.isWritable()).isFalse();
        assertThat(Interest.READABLE.add(Interest.PRIORITY)).isSameAs(Interest.PRIORITY.add(Interest.READABLE));
    }

    @Test
    void urgentDataIsAPriorityEvent() throws Exception {
        try (Poll poll = Poll.open(); TcpListener listener = TcpListener.bind(anyLocalAddress());
             Socket client = new Socket()) {
            client.connect(listener.localAddress(), 10_000);
            TcpStream accepted = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (accepted == null && System.nanoTime() < deadline) {
                accepted = listener.accept();
                Thread.onSpinWait();
            }
            assertThat(accepted).as("accepted").isNotNull();
            try (TcpStream stream = accepted) {
                if (nio()) {
                    assertNeedsEpoll(() -> {
                        poll.registry().register(stream, ID, Interest.READABLE.add(Interest.PRIORITY));
                        return null;
                    });
                    assertNeedsEpoll(() -> {
                        poll.registry().register(stream, ID, Interest.PRIORITY);
                        return null;
                    });
                    return;
                }
                Events events = Events.withCapacity(8);
                poll.registry().register(stream, ID, Interest.READABLE.add(Interest.PRIORITY));
                client.sendUrgentData(0x42);
                assertThat(awaitPriority(poll, events)).as("a priority event for urgent data").isNotNull();

                // Without the interest, urgent data gives no priority flag.
                poll.registry().reregister(stream, ID, Interest.READABLE);
                client.getOutputStream().write(DATA1);
                client.sendUrgentData(0x43);
                boolean readable = false;
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!readable && System.nanoTime() < until) {
                    poll.poll(events, Duration.ofMillis(200));
                    for (Event e : events) {
                        assertThat(e.isPriority()).as("priority without the interest: " + e).isFalse();
                        readable |= e.isReadable();
                    }
                }
                assertThat(readable).isTrue();
            }
        }
    }

    @Test
    void priorityAloneIsReportedToo() throws Exception {
        assumeTrue(!nio(), "PRIORITY needs the epoll backend (the NIO refusal is tested above)");
        try (Poll poll = Poll.open(); TcpListener listener = TcpListener.bind(anyLocalAddress());
             Socket client = new Socket()) {
            client.connect(listener.localAddress(), 10_000);
            TcpStream accepted = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (accepted == null && System.nanoTime() < deadline) {
                accepted = listener.accept();
                Thread.onSpinWait();
            }
            try (TcpStream stream = accepted) {
                Events events = Events.withCapacity(8);
                poll.registry().register(stream, ID, Interest.PRIORITY);
                client.sendUrgentData(1);
                Snapshot priority = awaitPriority(poll, events);
                assertThat(priority).isNotNull();
                assertThat(priority.readable()).as("not registered for reading").isFalse();
            }
        }
    }

    /** Polls (bounded) until an event with the priority flag: that event, or null. */
    private static Snapshot awaitPriority(Poll poll, Events events) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            poll.poll(events, Duration.ofMillis(200));
            for (Event e : events) {
                if (e.isPriority()) {
                    assertThat(e.token()).isEqualTo(ID);
                    return Snapshot.of(e);
                }
            }
        }
        return null;
    }
}
