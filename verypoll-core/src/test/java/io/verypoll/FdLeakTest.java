package io.verypoll;

import static io.verypoll.TestUtil.anyLocalAddress;
import static io.verypoll.TestUtil.await;
import static io.verypoll.TestUtil.openFds;
import static org.assertj.core.api.Assertions.assertThat;

import io.verypoll.TestUtil.Bg;
import io.verypoll.net.TcpListener;
import io.verypoll.net.TcpStream;
import io.verypoll.net.UdpSocket;
import io.verypoll.pipe.Pipe;
import java.io.Closeable;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * O-FD: no file descriptor leaks, counted in /proc/self/fd. The JDK defers the close of a
 * registered channel until its selector's next select (reliability.md §0.4), so verypoll must
 * wake the poll on close; these tests prove the fds come back.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FdLeakTest {

    @BeforeAll
    static void warmUp() throws Exception {
        // Load the classes and JDK internals that open fds lazily, once.
        try (Poll poll = Poll.open(); UdpSocket u = UdpSocket.bind(anyLocalAddress())) {
            poll.registry().register(u, new Token(0), Interest.READABLE);
            poll.poll(Events.withCapacity(4), Duration.ZERO);
        }
        Pipe p = Pipe.open();
        p.sender().close();
        p.receiver().close();
        openFds();
    }

    /** mio's poll_closes_fd. */
    @Test
    void pollClosesFd() throws Exception {
        int baseline = TestUtil.baselineFds();
        for (int i = 0; i < 2000; i++) {
            Poll poll = Poll.open();
            poll.poll(Events.withCapacity(4), Duration.ZERO);
            poll.close();
        }
        TestUtil.assertFdCount(baseline);
    }

    /**
     * 1,000 registered sources closed from another thread while a poll thread blocks with a long
     * timeout: their fds are freed promptly (the poll thread must be woken for the JDK to close).
     */
    @Test
    void closingThousandRegisteredSourcesFromAnotherThreadFreesTheirFds() throws Exception {
        Poll poll = Poll.open();
        Waker stopWaker = new Waker(poll.registry(), new Token(-1));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong pollCalls = new AtomicLong();
        Bg poller = Bg.start("poller", () -> {
            Events events = Events.withCapacity(256);
            while (!stop.get()) {
                poll.poll(events, Duration.ofSeconds(30));
                pollCalls.incrementAndGet();
            }
        });
        TestUtil.awaitInPoll(poller.thread());
        int withPoll = TestUtil.baselineFds();

        List<Closeable> sources = new ArrayList<>();
        Registry registry = poll.registry();
        long token = 0;
        for (int i = 0; i < 500; i++) {
            UdpSocket u = UdpSocket.bind(anyLocalAddress());
            sources.add(u);
            registry.register(u, new Token(token++), Interest.READABLE);
        }
        for (int i = 0; i < 250; i++) {
            Pipe p = Pipe.open();
            sources.add(p.sender());
            sources.add(p.receiver());
            registry.register(p.receiver(), new Token(token++), Interest.READABLE);
            registry.register(p.sender(), new Token(token++), Interest.WRITABLE);
        }
        assertThat(sources).hasSize(1000);
        assertThat(openFds()).isGreaterThanOrEqualTo(withPoll + 1000);
        // Let the poll thread settle into a blocking poll again.
        TestUtil.awaitInPoll(poller.thread());

        Bg closer = Bg.start("closer", () -> {
            for (Closeable c : sources) c.close();
        });
        closer.join();
        await("fds of 1,000 closed sources freed (open: " + openFds() + ", expected <= " + withPoll + ")",
                Duration.ofSeconds(10), () -> openFds() <= withPoll);

        stop.set(true);
        stopWaker.wake();
        poller.join();
        poll.close();
    }

    /**
     * A source registered with one Poll, deregistered, registered with a second Poll, then closed
     * from another thread while both Polls block in long polls: its fd is freed promptly. (The
     * JDK only frees the fd once every selector the channel was ever registered with has
     * selected again.)
     */
    @Test
    void closingASourceMovedBetweenPollsFreesItsFd() throws Exception {
        Poll poll1 = Poll.open();
        Poll poll2 = Poll.open();
        Waker stop1 = new Waker(poll1.registry(), new Token(-1));
        Waker stop2 = new Waker(poll2.registry(), new Token(-1));
        AtomicBoolean stop = new AtomicBoolean();
        Bg poller1 = Bg.start("poller1", () -> {
            Events events = Events.withCapacity(16);
            while (!stop.get()) poll1.poll(events, Duration.ofSeconds(30));
        });
        Bg poller2 = Bg.start("poller2", () -> {
            Events events = Events.withCapacity(16);
            while (!stop.get()) poll2.poll(events, Duration.ofSeconds(30));
        });
        try {
            TestUtil.awaitInPoll(poller1.thread());
            TestUtil.awaitInPoll(poller2.thread());
            int before = openFds();
            List<UdpSocket> sockets = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                UdpSocket u = UdpSocket.bind(anyLocalAddress());
                sockets.add(u);
                poll1.registry().register(u, new Token(i), Interest.READABLE);
            }
            for (UdpSocket u : sockets) {
                poll1.registry().deregister(u);
                poll2.registry().register(u, new Token(100), Interest.READABLE);
            }
            TestUtil.awaitInPoll(poller1.thread());
            TestUtil.awaitInPoll(poller2.thread());
            Bg closer = Bg.start("closer", () -> {
                for (UdpSocket u : sockets) u.close();
            });
            closer.join();
            await("fds of moved sources freed (open: " + openFds() + ", expected <= " + before + ")",
                    Duration.ofSeconds(5), () -> openFds() <= before);
        } finally {
            stop.set(true);
            stop1.wake();
            stop2.wake();
            poller1.join();
            poller2.join();
            poll1.close();
            poll2.close();
        }
    }

    /** Closing on the poll thread between polls: the next poll(ZERO) frees the fds. */
    @Test
    void closeBetweenPollsThenPollZeroFreesFds() throws Exception {
        int baseline = TestUtil.baselineFds();
        try (Poll poll = Poll.open()) {
            int withPoll = TestUtil.baselineFds();
            Events events = Events.withCapacity(64);
            List<UdpSocket> sockets = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                UdpSocket u = UdpSocket.bind(anyLocalAddress());
                sockets.add(u);
                poll.registry().register(u, new Token(i), Interest.READABLE.add(Interest.WRITABLE));
            }
            poll.poll(events, Duration.ofSeconds(1));
            for (UdpSocket u : sockets) u.close();
            poll.poll(events, Duration.ZERO);
            assertThat(events.isEmpty()).as("no event of a closed source").isTrue();
            TestUtil.assertFdCount(withPoll);
        }
        TestUtil.assertFdCount(baseline);
    }

    /** Poll.close() with sources still registered, then the sources are closed: all fds back. */
    @Test
    void pollClosedFirstThenSources() throws Exception {
        int baseline = TestUtil.baselineFds();
        Poll poll = Poll.open();
        List<Closeable> sources = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            UdpSocket u = UdpSocket.bind(anyLocalAddress());
            sources.add(u);
            poll.registry().register(u, new Token(i), Interest.READABLE);
        }
        poll.close();
        for (Closeable c : sources) c.close();
        TestUtil.assertFdCount(baseline);
    }

    /** A whole TCP echo cycle: every fd is back after close (O-FD). */
    @Test
    void tcpEchoCycleLeavesNoFd() throws Exception {
        int baseline = TestUtil.baselineFds();
        Poll poll = Poll.open();
        Events events = Events.withCapacity(64);
        TcpListener listener = TcpListener.bind(anyLocalAddress());
        poll.registry().register(listener, new Token(0), Interest.READABLE);
        List<TcpStream> clients = new ArrayList<>();
        List<TcpStream> accepted = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            TcpStream c = TcpStream.connect(listener.localAddress());
            clients.add(c);
            poll.registry().register(c, new Token(100 + i), Interest.WRITABLE);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        java.util.Set<Token> connected = new java.util.HashSet<>();
        while ((accepted.size() < 10 || connected.size() < 10) && System.nanoTime() < deadline) {
            poll.poll(events, Duration.ofMillis(500));
            for (Event e : events) {
                if (e.token().value() >= 100 && e.token().value() < 200 && e.isWritable()) {
                    connected.add(e.token());
                }
                if (e.token().value() == 0) {
                    TcpStream s;
                    while ((s = listener.accept()) != null) {
                        accepted.add(s);
                        poll.registry().register(s, new Token(200 + accepted.size()), Interest.READABLE);
                    }
                }
            }
        }
        assertThat(accepted).hasSize(10);
        assertThat(connected).hasSize(10);
        for (TcpStream c : clients) {
            c.write(ByteBuffer.wrap(TestUtil.DATA1));
        }
        for (TcpStream c : clients) c.close();
        for (TcpStream s : accepted) s.close();
        listener.close();
        poll.poll(events, Duration.ZERO);
        poll.close();
        TestUtil.assertFdCount(baseline);
    }
}
