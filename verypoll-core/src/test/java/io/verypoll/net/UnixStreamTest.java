package io.verypoll.net;

import static io.verypoll.TestUtil.DATA1;
import static io.verypoll.TestUtil.DATA2;
import static io.verypoll.TestUtil.READABLE;
import static io.verypoll.TestUtil.READ_CLOSED;
import static io.verypoll.TestUtil.WRITABLE;
import static io.verypoll.TestUtil.WRITE_CLOSED;
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
import io.verypoll.TestUtil;
import io.verypoll.TestUtil.Bg;
import io.verypoll.TestUtil.Snapshot;
import io.verypoll.Token;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** mio's unix_stream.rs. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class UnixStreamTest {

    private static final Token TOKEN_1 = new Token(0);
    private static final Token TOKEN_2 = new Token(1);
    private static final Interest BOTH = Interest.READABLE.add(Interest.WRITABLE);

    @TempDir
    Path dir;

    /** A blocking AF_UNIX echo server for one connection. */
    static final class UnixEcho implements AutoCloseable {
        final ServerSocketChannel server;
        final Bg thread;
        final Path path;

        UnixEcho(Path path) throws IOException {
            this.path = path;
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
            thread = Bg.start("unix-echo", () -> {
                try (SocketChannel s = server.accept()) {
                    ByteBuffer buf = ByteBuffer.allocate(128);
                    for (;;) {
                        buf.clear();
                        int n;
                        try {
                            n = s.read(buf);
                        } catch (IOException reset) {
                            return;
                        }
                        if (n < 0) return;
                        buf.flip();
                        try {
                            while (buf.hasRemaining()) s.write(buf);
                        } catch (IOException gone) {
                            return;
                        }
                    }
                }
            });
        }

        @Override
        public void close() throws Exception {
            try {
                thread.join();
            } finally {
                server.close();
            }
        }
    }

    @FunctionalInterface
    interface Connector {
        UnixStream connect(Path path) throws Exception;
    }

    @Test
    void smokeConnect() throws Exception {
        smoke(dir.resolve("connect"), UnixStream::connect);
    }

    @Test
    void smokeFromChannel() throws Exception {
        smoke(dir.resolve("from_channel"), p -> {
            SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(p));
            return TestUtil.nioOnly(ch, () -> UnixStream.fromChannel(ch));
        });
    }

    private static void smoke(Path path, Connector connector) throws Exception {
        try (Poll poll = Poll.open(); UnixEcho echo = new UnixEcho(path)) {
            Events events = Events.withCapacity(16);
            try (UnixStream stream = connector.connect(path)) {
                TestUtil.assertNonBlocking(stream::channel);
                poll.registry().register(stream, TOKEN_1, BOTH);
                List<Snapshot> seen = expectEvents(poll, events, expected(TOKEN_1, WRITABLE));
                assertThat(seen).allMatch(Snapshot::noHints);
                assertReadWouldBlock(stream);
                checkedWrite(stream, DATA1);
                expectEvents(poll, events, expected(TOKEN_1, READABLE));
                expectRead(stream, DATA1);
                assertThat(stream.takeError()).isNull();
                assertReadWouldBlock(stream);

                ByteBuffer[] out = {ByteBuffer.wrap(DATA1), ByteBuffer.wrap(DATA2)};
                assertThat(stream.write(out)).isEqualTo(DATA1.length + DATA2.length);
                expectEvents(poll, events, expected(TOKEN_1, READABLE));
                ByteBuffer buf1 = ByteBuffer.allocate(DATA1.length);
                ByteBuffer buf2 = ByteBuffer.allocate(DATA2.length + 1);
                buf2.put(DATA2.length, (byte) 2);
                long total = 0;
                long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
                while (total < DATA1.length + DATA2.length && System.nanoTime() < deadline) {
                    long n = stream.read(new ByteBuffer[] {buf1, buf2});
                    if (n == 0) expectEvents(poll, events, expected(TOKEN_1, READABLE));
                    total += Math.max(n, 0);
                }
                assertThat(total).isEqualTo(DATA1.length + DATA2.length);
                assertThat(buf1.array()).isEqualTo(DATA1);
                assertThat(Arrays.copyOf(buf2.array(), DATA2.length)).isEqualTo(DATA2);
                assertThat(buf2.array()[DATA2.length]).isEqualTo((byte) 2);
            }
        }
    }

    @Test
    void pair() throws Exception {
        UnixStream[] pair = UnixStream.pair();
        assertThat(pair).hasSize(2);
        try (Poll poll = Poll.open(); UnixStream s1 = pair[0]; UnixStream s2 = pair[1]) {
            Events events = Events.withCapacity(16);
            poll.registry().register(s1, TOKEN_1, BOTH);
            poll.registry().register(s2, TOKEN_2, BOTH);
            expectEvents(poll, events, expected(TOKEN_1, WRITABLE));
            assertReadWouldBlock(s1);
            checkedWrite(s1, DATA1);
            expectRead(s2, DATA1);
            assertReadWouldBlock(s2);
            checkedWrite(s2, DATA2);
            expectRead(s1, DATA2);
            assertReadWouldBlock(s2);
        }
    }

    @Test
    void peerAddress() throws Exception {
        Path path = dir.resolve("peer_addr");
        try (Poll poll = Poll.open(); UnixEcho echo = new UnixEcho(path); UnixStream stream = UnixStream.connect(path)) {
            Events events = Events.withCapacity(16);
            poll.registry().register(stream, TOKEN_1, Interest.WRITABLE);
            expectEvents(poll, events, expected(TOKEN_1, WRITABLE));
            assertThat(stream.peerAddress()).isEqualTo(UnixDomainSocketAddress.of(path));
            assertThat(((UnixDomainSocketAddress) stream.localAddress()).getPath().toString()).isEmpty();
        }
    }

    @Test
    void shutdownRead() throws Exception {
        Path path = dir.resolve("shutdown_read");
        try (Poll poll = Poll.open(); UnixEcho echo = new UnixEcho(path); UnixStream stream = UnixStream.connect(path)) {
            Events events = Events.withCapacity(16);
            poll.registry().register(stream, TOKEN_1, BOTH);
            expectEvents(poll, events, expected(TOKEN_1, WRITABLE));
            checkedWrite(stream, DATA1);
            expectEvents(poll, events, expected(TOKEN_1, READABLE));
            stream.shutdown(Shutdown.READ);
            assertThat(stream.read(ByteBuffer.allocate(64))).isEqualTo(-1);
            poll.registry().reregister(stream, TOKEN_1, BOTH);
            List<Snapshot> seen = expectEvents(poll, events, expected(TOKEN_1, READ_CLOSED));
            assertThat(seen).noneMatch(Snapshot::error).noneMatch(Snapshot::writeClosed);
        }
    }

    @Test
    void shutdownWrite() throws Exception {
        Path path = dir.resolve("shutdown_write");
        try (Poll poll = Poll.open(); UnixEcho echo = new UnixEcho(path); UnixStream stream = UnixStream.connect(path)) {
            Events events = Events.withCapacity(16);
            poll.registry().register(stream, TOKEN_1, BOTH);
            expectEvents(poll, events, expected(TOKEN_1, WRITABLE));
            checkedWrite(stream, DATA1);
            expectEvents(poll, events, expected(TOKEN_1, READABLE));
            stream.shutdown(Shutdown.WRITE);
            assertThatThrownBy(() -> stream.write(ByteBuffer.wrap(DATA2))).isInstanceOf(ClosedChannelException.class);
            expectRead(stream, DATA1);
            // Drained to end of stream (the echo server closes after our FIN): later events carry both hints.
            ByteBuffer buf = ByteBuffer.allocate(64);
            long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            int n = 0;
            while (n != -1 && System.nanoTime() < deadline) {
                n = stream.read(buf.clear());
                if (n == 0) expectEvents(poll, events, expected(TOKEN_1, READABLE | WRITE_CLOSED));
            }
            assertThat(n).isEqualTo(-1);
            poll.registry().reregister(stream, TOKEN_1, BOTH);
            List<Snapshot> seen = expectEvents(poll, events, expected(TOKEN_1, READ_CLOSED | WRITE_CLOSED));
            assertThat(seen).noneMatch(Snapshot::error);
        }
    }

    @Test
    void shutdownBoth() throws Exception {
        Path path = dir.resolve("shutdown_both");
        try (Poll poll = Poll.open(); UnixEcho echo = new UnixEcho(path); UnixStream stream = UnixStream.connect(path)) {
            Events events = Events.withCapacity(16);
            poll.registry().register(stream, TOKEN_1, BOTH);
            expectEvents(poll, events, expected(TOKEN_1, WRITABLE));
            checkedWrite(stream, DATA1);
            expectEvents(poll, events, expected(TOKEN_1, READABLE));
            stream.shutdown(Shutdown.BOTH);
            assertThatThrownBy(() -> stream.write(ByteBuffer.wrap(DATA2))).isInstanceOf(ClosedChannelException.class);
            poll.registry().reregister(stream, TOKEN_1, BOTH);
            List<Snapshot> seen = expectEvents(poll, events, expected(TOKEN_1, WRITE_CLOSED | READ_CLOSED));
            assertThat(seen).noneMatch(Snapshot::error);
        }
    }

    /** mio's unix_stream_shutdown_listener_write: the peer's FIN is readable, then end of stream. */
    @Test
    void peerShutdownWrite() throws Exception {
        Path path = dir.resolve("listener_write");
        CyclicBarrier barrier = new CyclicBarrier(2);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(path));
            Bg peer = Bg.start("noop-listener", () -> {
                try (SocketChannel s = server.accept()) {
                    barrier.await(10, TimeUnit.SECONDS);
                    s.shutdownOutput();
                    barrier.await(10, TimeUnit.SECONDS);
                }
            });
            try (Poll poll = Poll.open(); UnixStream stream = UnixStream.connect(path)) {
                Events events = Events.withCapacity(16);
                poll.registry().register(stream, TOKEN_1, BOTH);
                expectEvents(poll, events, expected(TOKEN_1, WRITABLE));
                barrier.await(10, TimeUnit.SECONDS);
                List<Snapshot> seen = expectEvents(poll, events, expected(TOKEN_1, READABLE));
                assertThat(seen).noneMatch(Snapshot::error).noneMatch(Snapshot::writeClosed);
                assertThat(stream.read(ByteBuffer.allocate(16))).isEqualTo(-1);
                expectNoEventsFor(poll, events, Duration.ofMillis(150));
                barrier.await(10, TimeUnit.SECONDS);
            }
            peer.join();
        }
    }

    @Test
    void register() throws Exception {
        Path path = dir.resolve("register");
        try (Poll poll = Poll.open(); UnixEcho echo = new UnixEcho(path); UnixStream stream = UnixStream.connect(path)) {
            Events events = Events.withCapacity(16);
            poll.registry().register(stream, TOKEN_1, Interest.READABLE);
            expectNoEvents(poll, events);
        }
    }

    @Test
    void reregister() throws Exception {
        Path path = dir.resolve("reregister");
        try (Poll poll = Poll.open(); UnixEcho echo = new UnixEcho(path); UnixStream stream = UnixStream.connect(path)) {
            Events events = Events.withCapacity(16);
            poll.registry().register(stream, TOKEN_1, Interest.READABLE);
            poll.registry().reregister(stream, TOKEN_1, Interest.WRITABLE);
            expectEvents(poll, events, expected(TOKEN_1, WRITABLE));
        }
    }

    @Test
    void deregister() throws Exception {
        Path path = dir.resolve("deregister");
        try (Poll poll = Poll.open(); UnixEcho echo = new UnixEcho(path); UnixStream stream = UnixStream.connect(path)) {
            Events events = Events.withCapacity(16);
            poll.registry().register(stream, TOKEN_1, Interest.WRITABLE);
            poll.registry().deregister(stream);
            expectNoEvents(poll, events);
        }
    }
}
