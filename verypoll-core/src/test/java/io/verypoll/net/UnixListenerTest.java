package io.verypoll.net;

import static io.verypoll.TestUtil.READABLE;
import static io.verypoll.TestUtil.assertReadWouldBlock;
import static io.verypoll.TestUtil.assertWouldBlock;
import static io.verypoll.TestUtil.expectEvents;
import static io.verypoll.TestUtil.expectNoEvents;
import static io.verypoll.TestUtil.expected;
import static org.assertj.core.api.Assertions.assertThat;

import io.verypoll.Events;
import io.verypoll.Interest;
import io.verypoll.Poll;
import io.verypoll.TestUtil;
import io.verypoll.TestUtil.Bg;
import io.verypoll.Token;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** mio's unix_listener.rs (abstract-namespace addresses do not exist on NIO). */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class UnixListenerTest {

    private static final Token TOKEN_1 = new Token(0);
    private static final Interest BOTH = Interest.READABLE.add(Interest.WRITABLE);

    @TempDir
    Path dir;

    @FunctionalInterface
    interface Maker {
        UnixListener make(Path path) throws Exception;
    }

    @Test
    void smoke() throws Exception {
        smoke(dir.resolve("smoke"), UnixListener::bind);
    }

    @Test
    void fromChannel() throws Exception {
        smoke(dir.resolve("from_channel"), path -> {
            ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            ch.bind(UnixDomainSocketAddress.of(path));
            return TestUtil.nioOnly(ch, () -> UnixListener.fromChannel(ch));
        });
    }

    private static void smoke(Path path, Maker maker) throws Exception {
        try (Poll poll = Poll.open(); UnixListener listener = maker.make(path)) {
            Events events = Events.withCapacity(16);
            TestUtil.assertNonBlocking(listener::channel);
            poll.registry().register(listener, TOKEN_1, BOTH);
            expectNoEvents(poll, events);
            CyclicBarrier barrier = new CyclicBarrier(2);
            Bg client = openConnections(path, 1, barrier);
            expectEvents(poll, events, expected(TOKEN_1, Interest.READABLE));
            try (UnixStream stream = listener.accept()) {
                assertThat(stream).isNotNull();
                TestUtil.assertNonBlocking(stream::channel);
                assertReadWouldBlock(stream);
                assertWouldBlock(listener::accept);
            }
            barrier.await(10, TimeUnit.SECONDS);
            client.join();
        }
    }

    static Bg openConnections(Path path, int n, CyclicBarrier barrier) {
        return Bg.start("unix-connect", () -> {
            for (int i = 0; i < n; i++) {
                try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
                    barrier.await(10, TimeUnit.SECONDS);
                }
            }
        });
    }

    @Test
    void localAddress() throws Exception {
        Path path = dir.resolve("local_addr");
        try (Poll poll = Poll.open(); UnixListener listener = UnixListener.bind(path)) {
            Events events = Events.withCapacity(16);
            assertThat(listener.localAddress()).isEqualTo(UnixDomainSocketAddress.of(path));
            poll.registry().register(listener, TOKEN_1, BOTH);
            CyclicBarrier barrier = new CyclicBarrier(2);
            Bg client = openConnections(path, 1, barrier);
            expectEvents(poll, events, expected(TOKEN_1, READABLE));
            try (UnixStream stream = listener.accept()) {
                assertThat(stream.localAddress()).isEqualTo(UnixDomainSocketAddress.of(path));
                // The connecting side is unnamed.
                assertThat(((UnixDomainSocketAddress) stream.peerAddress()).getPath().toString()).isEmpty();
            }
            barrier.await(10, TimeUnit.SECONDS);
            client.join();
        }
    }

    @Test
    void register() throws Exception {
        try (Poll poll = Poll.open(); UnixListener listener = UnixListener.bind(dir.resolve("register"))) {
            Events events = Events.withCapacity(16);
            poll.registry().register(listener, TOKEN_1, Interest.READABLE);
            expectNoEvents(poll, events);
        }
    }

    @Test
    void reregister() throws Exception {
        Path path = dir.resolve("reregister");
        try (Poll poll = Poll.open(); UnixListener listener = UnixListener.bind(path)) {
            Events events = Events.withCapacity(16);
            poll.registry().register(listener, TOKEN_1, Interest.WRITABLE);
            CyclicBarrier barrier = new CyclicBarrier(2);
            Bg client = openConnections(path, 1, barrier);
            expectNoEvents(poll, events);
            poll.registry().reregister(listener, TOKEN_1, Interest.READABLE);
            expectEvents(poll, events, expected(TOKEN_1, READABLE));
            barrier.await(10, TimeUnit.SECONDS);
            client.join();
        }
    }

    @Test
    void deregister() throws Exception {
        Path path = dir.resolve("deregister");
        try (Poll poll = Poll.open(); UnixListener listener = UnixListener.bind(path)) {
            Events events = Events.withCapacity(16);
            poll.registry().register(listener, TOKEN_1, Interest.READABLE);
            CyclicBarrier barrier = new CyclicBarrier(2);
            Bg client = openConnections(path, 1, barrier);
            poll.registry().deregister(listener);
            expectNoEvents(poll, events);
            barrier.await(10, TimeUnit.SECONDS);
            client.join();
        }
    }
}
