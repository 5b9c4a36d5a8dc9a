package io.verypoll.net;

import static io.verypoll.TestUtil.READABLE;
import static io.verypoll.TestUtil.anyLocalAddress;
import static io.verypoll.TestUtil.assertWouldBlock;
import static io.verypoll.TestUtil.anyLocalIpv6Address;
import static io.verypoll.TestUtil.assertReadWouldBlock;
import static io.verypoll.TestUtil.expectEvents;
import static io.verypoll.TestUtil.expectNoEvents;
import static io.verypoll.TestUtil.expected;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.verypoll.Events;
import io.verypoll.Interest;
import io.verypoll.Poll;
import io.verypoll.TestUtil;
import io.verypoll.TestUtil.Bg;
import io.verypoll.Token;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** mio's tcp_listener.rs. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class TcpListenerTest {

    private static final Token ID1 = new Token(0);
    private static final Token ID2 = new Token(1);

    @FunctionalInterface
    interface Maker {
        TcpListener make(SocketAddress address) throws Exception;
    }

    @Test
    void tcpListener() throws Exception {
        smoke(anyLocalAddress(), TcpListener::bind);
    }

    @Test
    void tcpListenerIpv6() throws Exception {
        assumeTrue(TestUtil.ipv6Available(), "IPv6 loopback not available");
        smoke(anyLocalIpv6Address(), TcpListener::bind);
    }

    @Test
    void tcpListenerWithBacklog() throws Exception {
        smoke(anyLocalAddress(), a -> TcpListener.bind(a, 16));
    }

    /** fromChannel: a plain (blocking) ServerSocketChannel is made non-blocking. */
    @Test
    void tcpListenerFromChannel() throws Exception {
        smoke(anyLocalAddress(), a -> {
            ServerSocketChannel ch = ServerSocketChannel.open();
            ch.bind(a);
            return TestUtil.nioOnly(ch, () -> TcpListener.fromChannel(ch));
        });
    }

    private static void smoke(SocketAddress addr, Maker maker) throws Exception {
        try (Poll poll = Poll.open(); TcpListener listener = maker.make(addr)) {
            Events events = Events.withCapacity(16);
            SocketAddress address = listener.localAddress();
            TestUtil.assertNonBlocking(listener::channel);
            poll.registry().register(listener, ID1, Interest.READABLE);

            CyclicBarrier barrier = new CyclicBarrier(2);
            Bg client = startConnections(address, 1, barrier);
            expectEvents(poll, events, expected(ID1, Interest.READABLE));

            try (TcpStream stream = listener.accept()) {
                assertThat(stream).isNotNull();
                InetSocketAddress peer = (InetSocketAddress) stream.peerAddress();
                assertThat(peer.getAddress().isLoopbackAddress()).isTrue();
                assertThat(stream.localAddress()).isEqualTo(address);
                TestUtil.assertNonBlocking(stream::channel);
                assertReadWouldBlock(stream);
                assertWouldBlock(listener::accept); // no more connections
            }
            barrier.await(10, TimeUnit.SECONDS);
            client.join();
        }
    }

    /** Starts n connections to address, one after the other, each kept open until the barrier. */
    static Bg startConnections(SocketAddress address, int n, CyclicBarrier barrier) {
        return Bg.start("connect", () -> {
            for (int i = 0; i < n; i++) {
                try (Socket s = new Socket()) {
                    s.connect(address, 5000);
                    barrier.await(10, TimeUnit.SECONDS);
                }
            }
        });
    }

    /** bind sets SO_REUSEADDR, as mio's TcpListener::bind does. */
    @Test
    void bindSetsReuseAddress() throws Exception {
        try (TcpListener listener = TcpListener.bind(anyLocalAddress())) {
            assertThat(TestUtil.seam(listener).getOption(java.net.StandardSocketOptions.SO_REUSEADDR)).isTrue();
        }
    }

    @Test
    void registering() throws Exception {
        try (Poll poll = Poll.open(); TcpListener listener = TcpListener.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            poll.registry().register(listener, ID1, Interest.READABLE);
            expectNoEvents(poll, events);
        }
    }

    /** A listener is never writable. */
    @Test
    void writableInterestGivesNoEvent() throws Exception {
        try (Poll poll = Poll.open(); TcpListener listener = TcpListener.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            poll.registry().register(listener, ID1, Interest.WRITABLE);
            expectNoEvents(poll, events);
        }
    }

    @Test
    void reregister() throws Exception {
        try (Poll poll = Poll.open(); TcpListener listener = TcpListener.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            SocketAddress address = listener.localAddress();
            poll.registry().register(listener, ID1, Interest.READABLE);
            poll.registry().reregister(listener, ID2, Interest.READABLE);
            CyclicBarrier barrier = new CyclicBarrier(2);
            Bg client = startConnections(address, 1, barrier);
            var seen = expectEvents(poll, events, expected(ID2, Interest.READABLE));
            assertThat(seen).extracting(TestUtil.Snapshot::token).doesNotContain(ID1);
            try (TcpStream stream = listener.accept()) {
                assertThat(stream).isNotNull();
                assertThat(stream.localAddress()).isEqualTo(address);
            }
            assertWouldBlock(listener::accept);
            barrier.await(10, TimeUnit.SECONDS);
            client.join();
        }
    }

    @Test
    void noEventsAfterDeregister() throws Exception {
        try (Poll poll = Poll.open(); TcpListener listener = TcpListener.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            SocketAddress address = listener.localAddress();
            poll.registry().register(listener, ID1, Interest.READABLE);
            CyclicBarrier barrier = new CyclicBarrier(2);
            Bg client = startConnections(address, 1, barrier);
            poll.registry().deregister(listener);
            expectNoEvents(poll, events);
            // Still able to accept the connection (bounded wait: it may not be queued yet).
            TcpStream stream = null;
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (stream == null && System.nanoTime() < deadline) {
                stream = listener.accept();
                if (stream == null) Thread.onSpinWait();
            }
            assertThat(stream).isNotNull();
            assertThat(stream.localAddress()).isEqualTo(address);
            stream.close();
            assertWouldBlock(listener::accept);
            expectNoEvents(poll, events);
            barrier.await(10, TimeUnit.SECONDS);
            client.join();
        }
    }

    /** mio's tcp_listener_two_streams: accept returning null re-arms the listener. */
    @Test
    void twoStreams() throws Exception {
        try (Poll poll = Poll.open(); TcpListener listener = TcpListener.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            SocketAddress address = listener.localAddress();
            CyclicBarrier barrier = new CyclicBarrier(3);
            Bg c1 = startConnections(address, 1, barrier);
            poll.registry().register(listener, ID1, Interest.READABLE);
            expectEvents(poll, events, expected(ID1, READABLE));
            try (TcpStream s = listener.accept()) {
                assertThat(s).isNotNull();
            }
            assertWouldBlock(listener::accept);

            Bg c2 = startConnections(address, 1, barrier);
            expectEvents(poll, events, expected(ID1, READABLE));
            try (TcpStream s = listener.accept()) {
                assertThat(s).isNotNull();
            }
            expectNoEvents(poll, events);
            barrier.await(10, TimeUnit.SECONDS);
            c1.join();
            c2.join();
        }
    }

    /** Edge semantics: a listener not drained to null stays silent even when more connections come. */
    @Test
    void notDrainedListenerStaysSilent() throws Exception {
        try (Poll poll = Poll.open(); TcpListener listener = TcpListener.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            SocketAddress address = listener.localAddress();
            poll.registry().register(listener, ID1, Interest.READABLE);
            List<java.nio.channels.SocketChannel> clients = new ArrayList<>();
            List<TcpStream> accepted = new ArrayList<>();
            try {
                clients.add(java.nio.channels.SocketChannel.open(address));
                clients.add(java.nio.channels.SocketChannel.open(address));
                expectEvents(poll, events, expected(ID1, READABLE));
                accepted.add(listener.accept()); // one of two: not drained
                clients.add(java.nio.channels.SocketChannel.open(address));
                TestUtil.expectNoEventsFor(poll, events, java.time.Duration.ofMillis(200));
                TcpStream s;
                while ((s = listener.accept()) != null) accepted.add(s);
                assertThat(accepted).hasSize(3).doesNotContainNull();
                clients.add(java.nio.channels.SocketChannel.open(address));
                expectEvents(poll, events, expected(ID1, READABLE));
            } finally {
                for (var c : clients) c.close();
                for (var a : accepted) if (a != null) a.close();
            }
        }
    }

    /**
     * A listener closed on its poll thread between polls stops listening then: a connect right
     * after is refused. (The JDK releases a registered channel's descriptor at the next select;
     * until then the kernel would complete connections on it and reset them when it closes.)
     */
    @Test
    void aListenerClosedOnItsPollThreadStopsListeningAtOnce() throws Exception {
        try (Poll poll = Poll.open()) {
            TcpListener listener = TcpListener.bind(anyLocalAddress());
            SocketAddress address = listener.localAddress();
            poll.registry().register(listener, ID1, Interest.READABLE);
            Events events = Events.withCapacity(8);
            poll.poll(events, java.time.Duration.ZERO); // this thread polls the listener's poll
            poll.registry().deregister(listener);
            listener.close();
            try (Socket client = new Socket()) {
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.connect(address, 2000))
                        .isInstanceOf(java.net.ConnectException.class);
            }
        }
    }
}
