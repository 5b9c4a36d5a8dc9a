package io.verypoll;

import static io.verypoll.TestUtil.READABLE;
import static io.verypoll.TestUtil.anyLocalAddress;
import static io.verypoll.TestUtil.assertReadWouldBlock;
import static io.verypoll.TestUtil.awaitInPoll;
import static io.verypoll.TestUtil.expectEvents;
import static io.verypoll.TestUtil.expectNoEvents;
import static io.verypoll.TestUtil.expectNoEventsFor;
import static io.verypoll.TestUtil.expected;
import static io.verypoll.TestUtil.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.verypoll.TestUtil.Bg;
import io.verypoll.TestUtil.Snapshot;
import io.verypoll.TestUtil.TcpPair;
import io.verypoll.net.TcpListener;
import io.verypoll.net.TcpStream;
import io.verypoll.net.UdpSocket;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** mio's poll.rs, plus the contract points of core-api.md about Poll.poll itself. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class PollTest {

    private static final Token ID1 = new Token(1);
    private static final Token ID2 = new Token(2);
    private static final Token ID3 = new Token(3);

    private static long millisSince(long t0) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    @Test
    void runOnceWithNothing() throws Exception {
        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(16);
            long t0 = System.nanoTime();
            poll.poll(events, Duration.ofMillis(100));
            assertThat(events.isEmpty()).isTrue();
            assertThat(millisSince(t0)).as("poll returned before its timeout").isGreaterThanOrEqualTo(90);
        }
    }

    /** The timeout is honoured with an idle source registered too. */
    @Test
    void timeoutWithIdleSource() throws Exception {
        try (Poll poll = Poll.open(); UdpSocket socket = UdpSocket.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            poll.registry().register(socket, ID1, Interest.READABLE);
            long t0 = System.nanoTime();
            poll.poll(events, Duration.ofMillis(200));
            assertThat(events.isEmpty()).isTrue();
            assertThat(millisSince(t0)).isGreaterThanOrEqualTo(190);
        }
    }

    @Test
    void addThenClose() throws Exception {
        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(16);
            TcpListener listener = TcpListener.bind(anyLocalAddress());
            poll.registry().register(listener, ID1, Interest.READABLE.add(Interest.WRITABLE));
            listener.close();
            poll.poll(events, Duration.ofMillis(100));
            assertThat(snapshot(events)).isEmpty();
        }
    }

    @Test
    void zeroDurationPollsEvents() throws Exception {
        try (Poll poll = Poll.open(); ServerSocket listener = new ServerSocket()) {
            listener.bind(anyLocalAddress());
            Events events = Events.withCapacity(16);
            List<TcpStream> streams = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    TcpStream s = TcpStream.connect(listener.getLocalSocketAddress());
                    streams.add(s);
                    poll.registry().register(s, new Token(i), Interest.WRITABLE);
                }
                // A zero timeout still asks the OS: poll(ZERO) until the connects complete.
                long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
                do {
                    long t0 = System.nanoTime();
                    poll.poll(events, Duration.ZERO);
                    assertThat(millisSince(t0)).as("poll(ZERO) must not block").isLessThan(1000);
                } while (events.isEmpty() && System.nanoTime() < deadline);
                assertThat(events.isEmpty()).isFalse();
            } finally {
                for (TcpStream s : streams) s.close();
            }
        }
    }

    /** poll(events, null) blocks until an event. */
    @Test
    void nullTimeoutBlocksUntilAnEvent() throws Exception {
        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(16);
            Waker waker = new Waker(poll.registry(), ID1);
            Thread me = Thread.currentThread();
            Bg bg = Bg.start("waker", () -> {
                awaitInPoll(me);
                waker.wake();
            });
            poll.poll(events, null);
            assertThat(snapshot(events)).extracting(Snapshot::token).containsExactly(ID1);
            bg.join();
        }
    }

    @Test
    void readinessIsRearmedAfterWouldBlock() throws Exception {
        try (Poll poll = Poll.open(); TcpPair pair = TcpPair.open()) {
            Events events = Events.withCapacity(8);
            TcpStream client = pair.stream();
            poll.registry().register(client, ID1, Interest.READABLE);

            pair.peer().write(ByteBuffer.wrap("hello".getBytes()));
            expectEvents(poll, events, expected(ID1, Interest.READABLE));

            ByteBuffer buf = ByteBuffer.allocate(16);
            assertThat(client.read(buf)).isEqualTo(5);
            assertReadWouldBlock(client);

            expectNoEvents(poll, events);

            pair.peer().write(ByteBuffer.wrap("again".getBytes()));
            expectEvents(poll, events, expected(ID1, Interest.READABLE));
        }
    }

    /** mio's drop_cancels_interest_and_shuts_down: close() closes the connection. */
    @Test
    void closeCancelsInterestAndShutsDown() throws Exception {
        try (ServerSocket listener = new ServerSocket(); Poll poll = Poll.open()) {
            listener.bind(anyLocalAddress());
            Bg peer = Bg.start("peer", () -> {
                try (Socket s = listener.accept()) {
                    s.setSoTimeout(5000);
                    assertThat(s.getInputStream().read(new byte[16])).isEqualTo(-1);
                }
            });
            TcpStream stream = TcpStream.connect(listener.getLocalSocketAddress());
            poll.registry().register(stream, ID1, Interest.READABLE.add(Interest.WRITABLE));
            Events events = Events.withCapacity(16);
            expectEvents(poll, events, expected(ID1, Interest.WRITABLE));
            assertReadWouldBlock(stream);
            stream.close();
            peer.join();
            expectNoEvents(poll, events);
        }
    }

    /** mio's registry_behind_arc: Registry clones are usable from any thread. */
    @Test
    void registryBehindSharedReference() throws Exception {
        try (Poll poll = Poll.open(); TcpListener listener = TcpListener.bind(anyLocalAddress())) {
            Registry registry = poll.registry().tryClone();
            Events events = Events.withCapacity(128);
            SocketAddress addr = listener.localAddress();
            CyclicBarrier barrier = new CyclicBarrier(3);
            TcpStream[] stream = new TcpStream[1];
            Bg t1 = Bg.start("t1", () -> {
                registry.register(listener, new Token(0), Interest.READABLE);
                barrier.await(10, TimeUnit.SECONDS);
            });
            Bg t2 = Bg.start("t2", () -> {
                stream[0] = TcpStream.connect(addr);
                registry.register(stream[0], ID1, Interest.READABLE.add(Interest.WRITABLE));
                barrier.await(10, TimeUnit.SECONDS);
            });
            poll.poll(events, Duration.ofSeconds(5));
            assertThat(events.size()).isGreaterThanOrEqualTo(1);
            barrier.await(10, TimeUnit.SECONDS);
            t1.join();
            t2.join();
            stream[0].close();
        }
    }

    /** mio's registry_operations_are_thread_safe. */
    @Test
    void registryOperationsAreThreadSafe() throws Exception {
        try (Poll poll = Poll.open(); TcpListener listener = TcpListener.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            Registry registry = poll.registry().tryClone();
            SocketAddress addr = listener.localAddress();
            CyclicBarrier barrier = new CyclicBarrier(4);
            List<AutoCloseable> toClose = java.util.Collections.synchronizedList(new ArrayList<>());
            Bg t1 = Bg.start("t1", () -> {
                opsFlow(registry, listener, ID1, Interest.READABLE, Interest.READABLE);
                barrier.await(10, TimeUnit.SECONDS);
                barrier.await(10, TimeUnit.SECONDS);
            });
            Bg t2 = Bg.start("t2", () -> {
                UdpSocket udp = UdpSocket.bind(anyLocalAddress());
                toClose.add(udp);
                opsFlow(registry, udp, ID2, Interest.WRITABLE, Interest.WRITABLE.add(Interest.READABLE));
                barrier.await(10, TimeUnit.SECONDS);
                barrier.await(10, TimeUnit.SECONDS);
            });
            Bg t3 = Bg.start("t3", () -> {
                TcpStream s = TcpStream.connect(addr);
                toClose.add(s);
                opsFlow(registry, s, ID3, Interest.READABLE, Interest.READABLE.add(Interest.WRITABLE));
                barrier.await(10, TimeUnit.SECONDS);
                barrier.await(10, TimeUnit.SECONDS);
            });
            barrier.await(10, TimeUnit.SECONDS);
            expectEvents(poll, events,
                    expected(ID1, Interest.READABLE),
                    expected(ID2, Interest.WRITABLE),
                    expected(ID3, Interest.WRITABLE));
            barrier.await(10, TimeUnit.SECONDS);
            t1.join();
            t2.join();
            t3.join();
            for (AutoCloseable c : toClose) c.close();
        }
    }

    private static void opsFlow(Registry registry, Source source, Token token, Interest init, Interest last)
            throws IOException {
        registry.register(source, token, init);
        registry.deregister(source);
        registry.register(source, token, init);
        registry.reregister(source, token, last);
    }

    /**
     * mio's register_during_poll: a registration from another thread takes effect in the poll
     * already in progress, and that poll returns with exactly that one event (contract 6).
     */
    @Test
    void registerDuringPollGivesOneEventInThatPoll() throws Exception {
        try (Poll poll = Poll.open(); UdpSocket socket = UdpSocket.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            Registry registry = poll.registry().tryClone();
            Thread me = Thread.currentThread();
            Bg bg = Bg.start("register", () -> {
                awaitInPoll(me);
                registry.register(socket, ID1, Interest.WRITABLE);
            });
            long t0 = System.nanoTime();
            poll.poll(events, Duration.ofSeconds(5));
            long elapsed = millisSince(t0);
            List<Snapshot> got = snapshot(events);
            assertThat(got).as("events of the poll in progress").hasSize(1);
            assertThat(got.get(0).token()).isEqualTo(ID1);
            assertThat(got.get(0).writable()).isTrue();
            assertThat(elapsed).isLessThan(4000);
            bg.join();
        }
    }

    /** With no timeout, internal wake-ups never end the poll: only the real event does. */
    @Test
    void internalWakeupsDoNotEndPollWithoutTimeout() throws Exception {
        try (Poll poll = Poll.open(); UdpSocket socket = UdpSocket.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            Registry registry = poll.registry().tryClone();
            Waker waker = new Waker(poll.registry(), new Token(42));
            Thread me = Thread.currentThread();
            Bg bg = Bg.start("churn-then-wake", () -> {
                awaitInPoll(me);
                for (int i = 0; i < 20; i++) {
                    registry.register(socket, ID1, Interest.READABLE);
                    registry.deregister(socket);
                }
                // Still blocked in that same poll after all the internal wake-ups.
                awaitInPoll(me);
                waker.wake();
            });
            poll.poll(events, null);
            assertThat(snapshot(events)).extracting(Snapshot::token).containsExactly(new Token(42));
            bg.join();
        }
    }

    /** A connecting TcpStream registered from another thread during a poll: its writable comes in that poll. */
    @Test
    void registerConnectingStreamDuringPoll() throws Exception {
        try (Poll poll = Poll.open(); ServerSocket server = new ServerSocket()) {
            server.bind(anyLocalAddress());
            Events events = Events.withCapacity(16);
            Registry registry = poll.registry().tryClone();
            TcpStream[] stream = new TcpStream[1];
            Thread me = Thread.currentThread();
            Bg bg = Bg.start("connect-register", () -> {
                awaitInPoll(me);
                stream[0] = TcpStream.connect(server.getLocalSocketAddress());
                registry.register(stream[0], ID1, Interest.WRITABLE);
            });
            long t0 = System.nanoTime();
            poll.poll(events, Duration.ofSeconds(5));
            List<Snapshot> got = snapshot(events);
            assertThat(got).extracting(Snapshot::token).containsExactly(ID1);
            assertThat(got.get(0).writable()).isTrue();
            assertThat(got.get(0).noHints()).isTrue();
            assertThat(millisSince(t0)).isLessThan(4000);
            bg.join();
            assertThat(stream[0].takeError()).isNull();
            assertThat(stream[0].peerAddress()).isEqualTo(server.getLocalSocketAddress());
            stream[0].close();
        }
    }

    /** I/O right after connect (while it may still be in progress) is "would block", and the writable still comes. */
    @Test
    void ioWhileConnectingIsWouldBlock() throws Exception {
        try (Poll poll = Poll.open(); ServerSocket server = new ServerSocket()) {
            server.bind(anyLocalAddress());
            Events events = Events.withCapacity(16);
            try (TcpStream stream = TcpStream.connect(server.getLocalSocketAddress())) {
                poll.registry().register(stream, ID1, Interest.READABLE.add(Interest.WRITABLE));
                assertReadWouldBlock(stream);
                List<Snapshot> seen = expectEvents(poll, events, expected(ID1, Interest.WRITABLE));
                assertThat(seen).allMatch(Snapshot::noHints);
                try (Socket peer = server.accept()) {
                    TestUtil.checkedWrite(stream, TestUtil.DATA1);
                    byte[] got = new byte[TestUtil.DATA1.length];
                    peer.setSoTimeout(5000);
                    new java.io.DataInputStream(peer.getInputStream()).readFully(got);
                    assertThat(got).isEqualTo(TestUtil.DATA1);
                    peer.getOutputStream().write(TestUtil.DATA2);
                    expectEvents(poll, events, expected(ID1, Interest.READABLE));
                    TestUtil.expectRead(stream, TestUtil.DATA2);
                }
            }
        }
    }

    /** Huge timeouts (beyond Long.MAX_VALUE nanoseconds) block like "no timeout", without overflow. */
    @Test
    void hugeTimeoutBlocksUntilAnEvent() throws Exception {
        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(4);
            Waker waker = new Waker(poll.registry(), ID1);
            for (Duration huge : List.of(Duration.ofSeconds(Long.MAX_VALUE), Duration.ofDays(365L * 1000))) {
                Thread me = Thread.currentThread();
                Bg bg = Bg.start("waker", () -> {
                    awaitInPoll(me);
                    waker.wake();
                });
                poll.poll(events, huge);
                assertThat(snapshot(events)).as("timeout %s", huge).extracting(Snapshot::token).containsExactly(ID1);
                bg.join();
            }
        }
    }

    /** A short timeout below one millisecond still waits (rounded up), never a busy loop. */
    @Test
    void subMillisecondTimeout() throws Exception {
        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(4);
            long t0 = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                poll.poll(events, Duration.ofNanos(500_000));
                assertThat(events.isEmpty()).isTrue();
            }
            assertThat(System.nanoTime() - t0).as("20 polls of 0.5 ms").isGreaterThanOrEqualTo(10_000_000L);
        }
    }

    /** Poll.close() leaves its sources open; they can register with another Poll. */
    @Test
    void sourcesOfAClosedPollRegisterElsewhere() throws Exception {
        try (UdpSocket socket = UdpSocket.bind(anyLocalAddress()); Poll poll2 = Poll.open()) {
            Poll poll1 = Poll.open();
            poll1.registry().register(socket, ID1, Interest.WRITABLE);
            poll1.close();
            Events events = Events.withCapacity(4);
            poll2.registry().register(socket, ID2, Interest.WRITABLE);
            expectEvents(poll2, events, expected(ID2, Interest.WRITABLE));
        }
    }

    /** A reregister from another thread takes effect in the poll in progress. */
    @Test
    void reregisterDuringPollTakesEffectInThatPoll() throws Exception {
        try (Poll poll = Poll.open(); TcpListener listener = TcpListener.bind(anyLocalAddress());
             SocketChannel client = SocketChannel.open(listener.localAddress())) {
            Events events = Events.withCapacity(16);
            Registry registry = poll.registry().tryClone();
            // A listener is never writable: this registration is silent despite the queued connection.
            poll.registry().register(listener, ID1, Interest.WRITABLE);
            expectNoEvents(poll, events);
            Thread me = Thread.currentThread();
            Bg bg = Bg.start("reregister", () -> {
                awaitInPoll(me);
                registry.reregister(listener, ID2, Interest.READABLE);
            });
            long t0 = System.nanoTime();
            poll.poll(events, Duration.ofSeconds(5));
            assertThat(snapshot(events)).extracting(Snapshot::token).containsExactly(ID2);
            assertThat(millisSince(t0)).isLessThan(4000);
            bg.join();
            TcpStream accepted = listener.accept();
            assertThat(accepted).isNotNull();
            accepted.close();
        }
    }

    /** Re-arming by I/O on another thread (read to would-block) takes effect in the poll in progress. */
    @Test
    void rearmFromAnotherThreadDuringPoll() throws Exception {
        try (Poll poll = Poll.open(); TcpPair pair = TcpPair.open()) {
            Events events = Events.withCapacity(16);
            poll.registry().register(pair.stream(), ID1, Interest.READABLE);
            pair.peer().write(ByteBuffer.wrap(TestUtil.DATA1));
            expectEvents(poll, events, expected(ID1, READABLE));
            expectNoEvents(poll, events); // disarmed: the selector no longer watches reading
            Thread me = Thread.currentThread();
            Bg bg = Bg.start("reader", () -> {
                awaitInPoll(me);
                ByteBuffer buf = ByteBuffer.allocate(64);
                while (pair.stream().read(buf.clear()) > 0) {
                    // drain
                }
                pair.peer().write(ByteBuffer.wrap(TestUtil.DATA2));
            });
            long t0 = System.nanoTime();
            poll.poll(events, Duration.ofSeconds(5));
            assertThat(snapshot(events)).extracting(Snapshot::token).containsExactly(ID1);
            assertThat(millisSince(t0)).isLessThan(4000);
            bg.join();
        }
    }

    /** Poll.close() from another thread ends a blocked poll with ClosedSelectorException. */
    @Test
    void closeFromAnotherThreadEndsPoll() throws Exception {
        Poll poll = Poll.open();
        Events events = Events.withCapacity(16);
        Thread me = Thread.currentThread();
        Bg bg = Bg.start("closer", () -> {
            awaitInPoll(me);
            poll.close();
        });
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> poll.poll(events, Duration.ofSeconds(10)))
                .isInstanceOf(java.nio.channels.ClosedSelectorException.class);
        assertThat(millisSince(t0)).isLessThan(8000);
        bg.join();
    }

    /** A waker and a ready source with capacity 1: one event per poll, nothing lost. */
    @Test
    void capacityOneWithWakerAndSource() throws Exception {
        try (Poll poll = Poll.open(); UdpSocket socket = UdpSocket.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(1);
            Waker waker = new Waker(poll.registry(), ID2);
            poll.registry().register(socket, ID1, Interest.WRITABLE);
            waker.wake();
            java.util.Set<Token> seen = new java.util.HashSet<>();
            for (int i = 0; i < 4 && seen.size() < 2; i++) {
                poll.poll(events, Duration.ofMillis(500));
                assertThat(events.size()).isLessThanOrEqualTo(1);
                for (Event e : events) assertThat(seen.add(e.token())).isTrue();
            }
            assertThat(seen).containsExactlyInAnyOrder(ID1, ID2);
            expectNoEvents(poll, events);
        }
    }

    /**
     * Internal wake-ups (registration churn from another thread) never end a poll early and
     * empty: only an event, the timeout or an interrupt do (contract 6).
     */
    @Test
    void internalWakeupsDoNotEndPollEmpty() throws Exception {
        try (Poll poll = Poll.open(); UdpSocket socket = UdpSocket.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            Registry registry = poll.registry().tryClone();
            Thread me = Thread.currentThread();
            Bg bg = Bg.start("churn", () -> {
                awaitInPoll(me);
                for (int i = 0; i < 20; i++) {
                    registry.register(socket, ID1, Interest.READABLE); // nothing to read: no event
                    registry.reregister(socket, ID2, Interest.READABLE);
                    registry.deregister(socket);
                    // Closing an idle registered source wakes the selector too.
                    UdpSocket idle = UdpSocket.bind(anyLocalAddress());
                    registry.register(idle, ID3, Interest.READABLE);
                    idle.close();
                    // So does a new Waker that is never woken.
                    new Waker(registry, new Token(100 + i));
                }
            });
            long t0 = System.nanoTime();
            poll.poll(events, Duration.ofSeconds(1));
            long elapsed = millisSince(t0);
            bg.join();
            assertThat(snapshot(events)).isEmpty();
            assertThat(elapsed).as("poll ended early by an internal wake-up").isGreaterThanOrEqualTo(900);
        }
    }

    /** mio's reregister_interest_token_usage: reregister replaces token and interests. */
    @Test
    void reregisterInterestTokenUsage() throws Exception {
        try (Poll poll = Poll.open(); UdpSocket socket = UdpSocket.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            poll.registry().register(socket, ID1, Interest.READABLE);
            poll.registry().reregister(socket, ID1, Interest.READABLE);
            poll.registry().reregister(socket, ID2, Interest.WRITABLE);
            List<Snapshot> seen = expectEvents(poll, events, expected(ID2, Interest.WRITABLE));
            assertThat(seen).extracting(Snapshot::token).doesNotContain(ID1);
        }
    }

    /** mio's poll_ok_after_cancelling_pending_ops. */
    @Test
    void pollOkAfterCancellingPendingOps() throws Exception {
        try (Poll poll = Poll.open(); TcpListener listener = TcpListener.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            SocketAddress address = listener.localAddress();
            Registry registry = poll.registry().tryClone();
            CyclicBarrier barrier = new CyclicBarrier(2);
            registry.register(listener, ID1, Interest.READABLE);
            poll.poll(events, Duration.ZERO);
            registry.reregister(listener, ID2, Interest.READABLE);
            TcpStream[] stream = new TcpStream[1];
            Bg bg = Bg.start("client", () -> {
                stream[0] = TcpStream.connect(address);
                barrier.await(10, TimeUnit.SECONDS);
                registry.register(stream[0], ID3, Interest.WRITABLE);
                barrier.await(10, TimeUnit.SECONDS);
            });
            List<Snapshot> seen = expectEvents(poll, events, expected(ID2, Interest.READABLE));
            assertThat(seen).extracting(Snapshot::token).doesNotContain(ID1);
            TcpStream accepted = listener.accept();
            assertThat(accepted).isNotNull();
            barrier.await(10, TimeUnit.SECONDS);
            expectEvents(poll, events, expected(ID3, Interest.WRITABLE));
            barrier.await(10, TimeUnit.SECONDS);
            bg.join();
            accepted.close();
            stream[0].close();
        }
    }

    /** A custom Source: Registry forwards every call to it. */
    static final class RecordingSource implements Source {
        final List<String> calls = new ArrayList<>();

        @Override
        public void register(Registry registry, Token token, Interest interests) {
            assertThat(registry).isNotNull();
            calls.add("register " + token + " " + interests);
        }

        @Override
        public void reregister(Registry registry, Token token, Interest interests) {
            assertThat(registry).isNotNull();
            calls.add("reregister " + token + " " + interests);
        }

        @Override
        public void deregister(Registry registry) {
            assertThat(registry).isNotNull();
            calls.add("deregister");
        }
    }

    @Test
    void pollRegistrationForwardsToSource() throws Exception {
        try (Poll poll = Poll.open()) {
            RecordingSource source = new RecordingSource();
            poll.registry().register(source, new Token(0), Interest.READABLE);
            assertThat(source.calls).containsExactly("register Token(0) READABLE");
            poll.registry().reregister(source, new Token(5), Interest.WRITABLE);
            assertThat(source.calls).containsExactly("register Token(0) READABLE", "reregister Token(5) WRITABLE");
            poll.registry().deregister(source);
            assertThat(source.calls).containsExactly(
                    "register Token(0) READABLE", "reregister Token(5) WRITABLE", "deregister");
        }
    }

    /** mio's poll_erroneous_registration: the Source's exceptions pass through unchanged. */
    @Test
    void pollErroneousRegistration() throws Exception {
        IOException onRegister = new IOException("register");
        IOException onReregister = new IOException("reregister");
        IllegalStateException onDeregister = new IllegalStateException("deregister");
        Source source = new Source() {
            @Override
            public void register(Registry registry, Token token, Interest interests) throws IOException {
                throw onRegister;
            }

            @Override
            public void reregister(Registry registry, Token token, Interest interests) throws IOException {
                throw onReregister;
            }

            @Override
            public void deregister(Registry registry) {
                throw onDeregister;
            }
        };
        try (Poll poll = Poll.open()) {
            Registry r = poll.registry();
            assertThatThrownBy(() -> r.register(source, ID1, Interest.READABLE)).isSameAs(onRegister);
            assertThatThrownBy(() -> r.reregister(source, ID1, Interest.READABLE)).isSameAs(onReregister);
            assertThatThrownBy(() -> r.deregister(source)).isSameAs(onDeregister);
        }
    }

    /** Contract 1: a readable source that is not drained stays silent, even when more data comes. */
    @Test
    void noSpinWhenReadableNotDrained() throws Exception {
        try (Poll poll = Poll.open(); TcpPair pair = TcpPair.open()) {
            Events events = Events.withCapacity(16);
            poll.registry().register(pair.stream(), ID1, Interest.READABLE);
            pair.peer().write(ByteBuffer.wrap(TestUtil.DATA1));
            expectEvents(poll, events, expected(ID1, Interest.READABLE));

            int pollsWithEvents = 0;
            int polls = 0;
            long deadline = System.nanoTime() + Duration.ofMillis(200).toNanos();
            boolean wroteMore = false;
            while (System.nanoTime() < deadline) {
                poll.poll(events, Duration.ofMillis(20));
                polls++;
                if (!events.isEmpty()) pollsWithEvents++;
                if (!wroteMore) {
                    pair.peer().write(ByteBuffer.wrap(TestUtil.DATA2));
                    wroteMore = true;
                }
            }
            assertThat(pollsWithEvents).as("polls returning events out of %d", polls).isZero();

            // Drained to would-block, the next data gives an event again.
            ByteBuffer buf = ByteBuffer.allocate(1024);
            while (pair.stream().read(buf) > 0) {
                buf.clear();
            }
            pair.peer().write(ByteBuffer.wrap(TestUtil.DATA1));
            expectEvents(poll, events, expected(ID1, Interest.READABLE));
        }
    }

    /** No spin after end of stream: EOF is not reported again and again. */
    @Test
    void noSpinAfterEndOfStream() throws Exception {
        try (Poll poll = Poll.open(); TcpPair pair = TcpPair.open()) {
            Events events = Events.withCapacity(16);
            poll.registry().register(pair.stream(), ID1, Interest.READABLE.add(Interest.WRITABLE));
            expectEvents(poll, events, expected(ID1, Interest.WRITABLE));
            pair.peer().close();
            expectEvents(poll, events, expected(ID1, Interest.READABLE));
            assertThat(pair.stream().read(ByteBuffer.allocate(16))).isEqualTo(-1);
            expectNoEventsFor(poll, events, Duration.ofMillis(200));
        }
    }

    /** Writable is reported once on an idle connected socket, then never again without a blocked write. */
    @Test
    void writableReportedOnceOnIdleConnectedSocket() throws Exception {
        try (Poll poll = Poll.open(); TcpPair pair = TcpPair.open()) {
            Events events = Events.withCapacity(16);
            poll.registry().register(pair.stream(), ID1, Interest.READABLE.add(Interest.WRITABLE));
            List<Snapshot> seen = expectEvents(poll, events, expected(ID1, Interest.WRITABLE));
            assertThat(seen).filteredOn(Snapshot::writable).hasSize(1);
            assertThat(seen).allMatch(Snapshot::noHints);
            expectNoEventsFor(poll, events, Duration.ofMillis(200));
        }
    }

    /** Contract 5: one event per token per poll, readiness merged. */
    @Test
    void oneEventPerTokenReadinessMerged() throws Exception {
        try (Poll poll = Poll.open();
             UdpSocket a = UdpSocket.bind(anyLocalAddress());
             UdpSocket b = UdpSocket.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            assertThat(b.sendTo(ByteBuffer.wrap(TestUtil.DATA1), a.localAddress())).isEqualTo(TestUtil.DATA1.length);
            poll.registry().register(a, ID1, Interest.READABLE.add(Interest.WRITABLE));
            poll.poll(events, Duration.ofSeconds(2));
            List<Snapshot> got = snapshot(events);
            assertThat(got).hasSize(1);
            assertThat(got.get(0).token()).isEqualTo(ID1);
            assertThat(got.get(0).readable()).isTrue();
            assertThat(got.get(0).writable()).isTrue();
        }
    }

    /** An interrupted thread: InterruptedIOException, interrupt status kept, no spin. */
    @Test
    void interruptBeforePoll() throws Exception {
        try (Poll poll = Poll.open(); TcpPair pair = TcpPair.open()) {
            Events events = Events.withCapacity(16);
            poll.registry().register(pair.stream(), ID1, Interest.READABLE);
            Thread.currentThread().interrupt();
            try {
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> poll.poll(events, Duration.ofSeconds(10)))
                        .isInstanceOf(InterruptedIOException.class);
                assertThat(millisSince(t0)).isLessThan(2000);
                assertThat(Thread.currentThread().isInterrupted()).as("interrupt status kept").isTrue();
            } finally {
                Thread.interrupted();
            }
            // The Poll stays usable and does not spin: it waits for its timeout.
            long t0 = System.nanoTime();
            poll.poll(events, Duration.ofMillis(150));
            assertThat(events.isEmpty()).isTrue();
            assertThat(millisSince(t0)).isGreaterThanOrEqualTo(140);
            pair.peer().write(ByteBuffer.wrap(TestUtil.DATA1));
            expectEvents(poll, events, expected(ID1, READABLE));
        }
    }

    @Test
    void interruptDuringPoll() throws Exception {
        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(16);
            Thread me = Thread.currentThread();
            Bg bg = Bg.start("interrupter", () -> {
                awaitInPoll(me);
                me.interrupt();
            });
            try {
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> poll.poll(events, Duration.ofSeconds(10)))
                        .isInstanceOf(InterruptedIOException.class);
                assertThat(millisSince(t0)).isLessThan(8000);
                assertThat(Thread.currentThread().isInterrupted()).as("interrupt status kept").isTrue();
            } finally {
                Thread.interrupted(); // before join, which would throw on the kept status
                bg.join();
            }
            long t0 = System.nanoTime();
            poll.poll(events, Duration.ofMillis(100));
            assertThat(millisSince(t0)).isGreaterThanOrEqualTo(90);
        }
    }

    /** Only one thread may poll at a time. */
    @Test
    void concurrentPollThrowsIllegalState() throws Exception {
        try (Poll poll = Poll.open()) {
            Waker waker = new Waker(poll.registry(), ID1);
            List<Snapshot> bgEvents = new ArrayList<>();
            Bg bg = Bg.start("poller", () -> {
                Events mine = Events.withCapacity(4);
                poll.poll(mine, Duration.ofSeconds(8));
                bgEvents.addAll(snapshot(mine));
            });
            awaitInPoll(bg.thread());
            Events events = Events.withCapacity(4);
            assertThatThrownBy(() -> poll.poll(events, Duration.ZERO)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> poll.poll(events, Duration.ofSeconds(1))).isInstanceOf(IllegalStateException.class);
            waker.wake();
            bg.join();
            assertThat(bgEvents).extracting(Snapshot::token).containsExactly(ID1);
            // The first poller has finished: polling works again from this thread.
            poll.poll(events, Duration.ZERO);
        }
    }

    /** After deregister returns, its token never appears in a later poll, even under races. */
    @Test
    void deregisteredTokenNeverAppearsLater() throws Exception {
        try (Poll poll = Poll.open();
             UdpSocket socket = UdpSocket.bind(anyLocalAddress());
             UdpSocket sender = UdpSocket.bind(anyLocalAddress())) {
            // A datagram stays queued: the socket is readable at every registration.
            sender.sendTo(ByteBuffer.wrap(TestUtil.DATA1), socket.localAddress());
            Registry registry = poll.registry().tryClone();
            Waker stop = new Waker(poll.registry(), new Token(-1));
            AtomicLong deregistered = new AtomicLong(0); // tokens <= this were deregistered
            AtomicLong pollsDone = new AtomicLong();
            int rounds = 300;
            Bg churn = Bg.start("churn", () -> {
                for (long t = 1; t <= rounds; t++) {
                    registry.register(socket, new Token(t), Interest.READABLE);
                    if (t % 3 == 0) {
                        // Let a poll see this registration (bounded), so events really flow.
                        long seen = pollsDone.get();
                        long until = System.nanoTime() + 20_000_000L;
                        while (pollsDone.get() < seen + 1 && System.nanoTime() < until) Thread.onSpinWait();
                    }
                    registry.deregister(socket);
                    deregistered.set(t);
                }
                stop.wake();
            });
            Events events = Events.withCapacity(16);
            int delivered = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            boolean stopped = false;
            while (!stopped && System.nanoTime() < deadline) {
                long before = deregistered.get();
                poll.poll(events, Duration.ofMillis(500));
                pollsDone.incrementAndGet();
                for (Event e : events) {
                    if (e.token().value() == -1) {
                        stopped = true;
                        continue;
                    }
                    assertThat(e.token().value())
                            .as("token deregistered before this poll started").isGreaterThan(before);
                    delivered++;
                }
            }
            churn.join();
            assertThat(stopped).isTrue();
            expectNoEvents(poll, events);
            System.out.println("deregisteredTokenNeverAppearsLater: " + delivered + " events delivered in " + rounds + " rounds");
            // Registrations that lived across polls were reported, or the race was not exercised.
            assertThat(delivered).isGreaterThan(0);
        }
    }

    /** After close() of a registered source returns, its token never appears in a later poll, even under races. */
    @Test
    void closedSourceTokenNeverAppearsLater() throws Exception {
        try (Poll poll = Poll.open(); UdpSocket sender = UdpSocket.bind(anyLocalAddress())) {
            Registry registry = poll.registry().tryClone();
            Waker stop = new Waker(poll.registry(), new Token(-1));
            AtomicLong closed = new AtomicLong(0);
            AtomicLong pollsDone = new AtomicLong();
            int rounds = 200;
            Bg churn = Bg.start("churn", () -> {
                for (long t = 1; t <= rounds; t++) {
                    UdpSocket s = UdpSocket.bind(anyLocalAddress());
                    sender.sendTo(ByteBuffer.wrap(TestUtil.DATA1), s.localAddress()); // readable at once
                    registry.register(s, new Token(t), Interest.READABLE.add(Interest.WRITABLE));
                    if (t % 3 == 0) {
                        long seen = pollsDone.get();
                        long until = System.nanoTime() + 20_000_000L;
                        while (pollsDone.get() < seen + 1 && System.nanoTime() < until) Thread.onSpinWait();
                    }
                    s.close();
                    closed.set(t);
                }
                stop.wake();
            });
            Events events = Events.withCapacity(16);
            int delivered = 0;
            boolean stopped = false;
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (!stopped && System.nanoTime() < deadline) {
                long before = closed.get();
                poll.poll(events, Duration.ofMillis(500));
                pollsDone.incrementAndGet();
                for (Event e : events) {
                    if (e.token().value() == -1) {
                        stopped = true;
                        continue;
                    }
                    assertThat(e.token().value()).as("token closed before this poll started").isGreaterThan(before);
                    delivered++;
                }
            }
            churn.join();
            assertThat(stopped).isTrue();
            assertThat(delivered).isGreaterThan(0);
            expectNoEvents(poll, events);
        }
    }

    /** Deregister (and close) of a ready source: its token never appears afterwards. */
    @Test
    void noEventsAfterDeregisterOrClose() throws Exception {
        try (Poll poll = Poll.open();
             UdpSocket a = UdpSocket.bind(anyLocalAddress());
             UdpSocket sender = UdpSocket.bind(anyLocalAddress())) {
            UdpSocket b = UdpSocket.bind(anyLocalAddress());
            Events events = Events.withCapacity(16);
            sender.sendTo(ByteBuffer.wrap(TestUtil.DATA1), a.localAddress());
            sender.sendTo(ByteBuffer.wrap(TestUtil.DATA1), b.localAddress());
            poll.registry().register(a, ID1, Interest.READABLE.add(Interest.WRITABLE));
            poll.registry().register(b, ID2, Interest.READABLE.add(Interest.WRITABLE));
            poll.registry().deregister(a);
            b.close();
            expectNoEvents(poll, events);
            // The data is still there for a.
            ByteBuffer buf = ByteBuffer.allocate(64);
            assertThat(a.recvFrom(buf)).isEqualTo(sender.localAddress());
        }
    }

    /** Poll.close() closes the selector only: registered sources stay open and usable. */
    @Test
    void closeLeavesSourcesOpen() throws Exception {
        try (TcpPair pair = TcpPair.open()) {
            Poll poll = Poll.open();
            poll.registry().register(pair.stream(), ID1, Interest.READABLE.add(Interest.WRITABLE));
            poll.close();
            poll.close(); // idempotent, as Closeable asks
            assertThat(pair.stream().isOpen()).isTrue();
            TestUtil.checkedWrite(pair.stream(), TestUtil.DATA1);
            ByteBuffer buf = ByteBuffer.allocate(64);
            pair.peer().read(buf);
            assertThat(buf.position()).isEqualTo(TestUtil.DATA1.length);
            // Would-block on a source of a closed Poll is still a plain 0, never an exception.
            assertReadWouldBlock(pair.stream());
            pair.peer().write(ByteBuffer.wrap(TestUtil.DATA2));
            ByteBuffer in = ByteBuffer.allocate(64);
            long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (in.position() < TestUtil.DATA2.length && System.nanoTime() < deadline) {
                pair.stream().read(in);
            }
            assertThat(in.position()).isEqualTo(TestUtil.DATA2.length);
        }
    }

    /** The same Poll handles many sources: sanity of token routing with WRITE + READ on pairs. */
    @Test
    void manyTokensRouteCorrectly() throws Exception {
        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(64);
            List<TcpPair> pairs = new ArrayList<>();
            try {
                for (int i = 0; i < 20; i++) {
                    TcpPair p = TcpPair.open();
                    pairs.add(p);
                    poll.registry().register(p.stream(), new Token(100 + i), Interest.READABLE);
                }
                // Only the odd ones get data.
                List<TestUtil.ExpectedEvent> exp = new ArrayList<>();
                for (int i = 1; i < 20; i += 2) {
                    pairs.get(i).peer().write(ByteBuffer.wrap(new byte[] {(byte) i}));
                    exp.add(expected(new Token(100 + i), READABLE));
                }
                List<Snapshot> seen = expectEvents(poll, events, exp.toArray(new TestUtil.ExpectedEvent[0]));
                for (Snapshot s : seen) {
                    assertThat(s.token().value() % 2).as("token of a pair without data: %s", s.token()).isEqualTo(1);
                    ByteBuffer b = ByteBuffer.allocate(4);
                    pairs.get((int) s.token().value() - 100).stream().read(b);
                    assertThat(b.get(0)).isEqualTo((byte) (s.token().value() - 100));
                }
            } finally {
                for (TcpPair p : pairs) p.close();
            }
        }
    }
}
