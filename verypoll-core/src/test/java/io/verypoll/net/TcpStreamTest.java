package io.verypoll.net;

import static io.verypoll.TestUtil.DATA1;
import static io.verypoll.TestUtil.DATA2;
import static io.verypoll.TestUtil.ERROR;
import static io.verypoll.TestUtil.READABLE;
import static io.verypoll.TestUtil.READ_CLOSED;
import static io.verypoll.TestUtil.WRITABLE;
import static io.verypoll.TestUtil.WRITE_CLOSED;
import static io.verypoll.TestUtil.anyLocalAddress;
import static io.verypoll.TestUtil.anyLocalIpv6Address;
import static io.verypoll.TestUtil.assertReadWouldBlock;
import static io.verypoll.TestUtil.checkedWrite;
import static io.verypoll.TestUtil.expectEvents;
import static io.verypoll.TestUtil.expectNoEvents;
import static io.verypoll.TestUtil.expectNoEventsFor;
import static io.verypoll.TestUtil.expectRead;
import static io.verypoll.TestUtil.expected;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.verypoll.Events;
import io.verypoll.Interest;
import io.verypoll.Poll;
import io.verypoll.TestUtil;
import io.verypoll.TestUtil.Bg;
import io.verypoll.TestUtil.Snapshot;
import io.verypoll.TestUtil.TcpPair;
import io.verypoll.Token;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** mio's tcp_stream.rs, plus the readiness hints of core-api.md contract 4. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class TcpStreamTest {

    private static final Token ID1 = new Token(0);
    private static final Token ID2 = new Token(1);
    private static final Interest BOTH = Interest.READABLE.add(Interest.WRITABLE);

    /** A blocking echo server for one connection on its own thread. */
    static final class EchoServer implements AutoCloseable {
        final ServerSocket server;
        final Bg thread;

        EchoServer(SocketAddress bind) throws IOException {
            server = new ServerSocket();
            server.bind(bind);
            thread = Bg.start("echo", () -> {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(10_000);
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    byte[] buf = new byte[128];
                    for (;;) {
                        int n;
                        try {
                            n = in.read(buf);
                        } catch (SocketException reset) {
                            return; // the peer shut down its reading side: a reset is fine here
                        }
                        if (n < 0) return;
                        try {
                            out.write(buf, 0, n);
                        } catch (SocketException gone) {
                            return;
                        }
                    }
                }
            });
        }

        SocketAddress address() {
            return server.getLocalSocketAddress();
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

    /** mio's start_listener: accepts one connection, waits on the barrier, optionally shuts down writing. */
    static final class BarrierServer implements AutoCloseable {
        final ServerSocket server;
        final Bg thread;

        BarrierServer(CyclicBarrier barrier, boolean shutdownWrite) throws IOException {
            server = new ServerSocket();
            server.bind(anyLocalAddress());
            thread = Bg.start("barrier-server", () -> {
                try (Socket s = server.accept()) {
                    barrier.await(10, TimeUnit.SECONDS);
                    if (shutdownWrite) {
                        s.shutdownOutput();
                        barrier.await(10, TimeUnit.SECONDS);
                    }
                }
            });
        }

        SocketAddress address() {
            return server.getLocalSocketAddress();
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
        TcpStream connect(SocketAddress address) throws Exception;
    }

    @Test
    void tcpStreamIpv4() throws Exception {
        smoke(anyLocalAddress(), TcpStream::connect);
    }

    @Test
    void tcpStreamIpv6() throws Exception {
        assumeTrue(TestUtil.ipv6Available(), "IPv6 loopback not available");
        smoke(anyLocalIpv6Address(), TcpStream::connect);
    }

    @Test
    void tcpStreamFromChannel() throws Exception {
        smoke(anyLocalAddress(), a -> {
            SocketChannel ch = SocketChannel.open(a);
            return TestUtil.nioOnly(ch, () -> TcpStream.fromChannel(ch));
        });
    }

    private static void smoke(SocketAddress bind, Connector connector) throws Exception {
        try (Poll poll = Poll.open(); EchoServer echo = new EchoServer(bind)) {
            Events events = Events.withCapacity(16);
            SocketAddress addr = echo.address();
            try (TcpStream stream = connector.connect(addr)) {
                TestUtil.assertNonBlocking(stream::channel);
                poll.registry().register(stream, ID1, BOTH);
                List<Snapshot> seen = expectEvents(poll, events, expected(ID1, WRITABLE));
                assertThat(seen).allMatch(Snapshot::noHints);

                assertReadWouldBlock(stream);
                assertThat(stream.peerAddress()).isEqualTo(addr);
                assertThat(((InetSocketAddress) stream.localAddress()).getAddress().isLoopbackAddress()).isTrue();

                checkedWrite(stream, DATA1);
                seen = expectEvents(poll, events, expected(ID1, READABLE));
                assertThat(seen).allMatch(Snapshot::noHints);
                expectRead(stream, DATA1);
                assertThat(stream.takeError()).isNull();
                assertReadWouldBlock(stream);

                ByteBuffer[] out = {ByteBuffer.wrap(DATA1), ByteBuffer.wrap(DATA2)};
                assertThat(stream.write(out)).isEqualTo(DATA1.length + DATA2.length);
                expectEvents(poll, events, expected(ID1, READABLE));

                ByteBuffer buf1 = ByteBuffer.allocate(DATA1.length);
                ByteBuffer buf2 = ByteBuffer.allocate(DATA2.length + 1);
                buf2.put(DATA2.length, (byte) 2);
                ByteBuffer[] in = {buf1, buf2};
                long total = 0;
                long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
                while (total < DATA1.length + DATA2.length && System.nanoTime() < deadline) {
                    long n = stream.read(in);
                    if (n == 0) expectEvents(poll, events, expected(ID1, READABLE)); // echoed in two parts
                    total += Math.max(n, 0);
                }
                assertThat(total).isEqualTo(DATA1.length + DATA2.length);
                assertThat(buf1.array()).isEqualTo(DATA1);
                assertThat(java.util.Arrays.copyOf(buf2.array(), DATA2.length)).isEqualTo(DATA2);
                assertThat(buf2.array()[DATA2.length]).as("last byte unchanged").isEqualTo((byte) 2);
            }
        }
    }

    /** fromChannel with a connect still in progress: the library finishes it and reports writable. */
    @Test
    void fromChannelWithConnectInProgress() throws Exception {
        try (Poll poll = Poll.open(); ServerSocket server = new ServerSocket()) {
            server.bind(anyLocalAddress());
            Events events = Events.withCapacity(16);
            SocketChannel ch = SocketChannel.open();
            ch.configureBlocking(false);
            boolean connectedAtOnce = ch.connect(server.getLocalSocketAddress());
            try (TcpStream stream = TestUtil.nioOnly(ch, () -> TcpStream.fromChannel(ch))) {
                poll.registry().register(stream, ID1, BOTH);
                List<Snapshot> seen = expectEvents(poll, events, expected(ID1, WRITABLE));
                assertThat(seen).allMatch(Snapshot::noHints);
                assertThat(ch.isConnected()).as("connected at once: %s", connectedAtOnce).isTrue();
                assertThat(stream.peerAddress()).isEqualTo(server.getLocalSocketAddress());
                checkedWrite(stream, DATA1);
            }
        }
    }

    @Test
    void setGetNodelay() throws Exception {
        try (TcpPair pair = TcpPair.open()) {
            pair.stream().setNodelay(true);
            assertThat(pair.stream().nodelay()).isTrue();
            pair.stream().setNodelay(false);
            assertThat(pair.stream().nodelay()).isFalse();
            assertThat(pair.stream().takeError()).isNull();
        }
    }

    @Test
    void setGetLinger() throws Exception {
        try (TcpPair pair = TcpPair.open()) {
            assertThat(pair.stream().linger()).isNull();
            pair.stream().setLinger(java.time.Duration.ofMillis(1500)); // whole seconds, rounded up
            assertThat(pair.stream().linger()).isEqualTo(java.time.Duration.ofSeconds(2));
            pair.stream().setLinger(null);
            assertThat(pair.stream().linger()).isNull();
            pair.stream().setLinger(java.time.Duration.ZERO);
            assertThat(pair.stream().linger()).isEqualTo(java.time.Duration.ZERO);
            assertThatThrownBy(() -> pair.stream().setLinger(java.time.Duration.ofSeconds(-1)))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    /** A zero linger makes the close a reset, with nothing unread: the peer's read fails. */
    @Test
    void zeroLingerCloseResetsThePeer() throws Exception {
        try (TcpPair pair = TcpPair.open()) {
            checkedWrite(pair.stream(), DATA1);
            pair.stream().setLinger(java.time.Duration.ZERO);
            pair.stream().close();
            ByteBuffer in = ByteBuffer.allocate(64);
            // What had arrived before the reset may still be read; then the reset, never an end of stream.
            assertThatThrownBy(() -> {
                while (pair.peer().read(in) >= 0) {
                    in.clear();
                }
            }).isInstanceOf(SocketException.class).hasMessageContaining("reset");
        }
    }

    @Test
    void aCloseWithoutLingerEndsTheStream() throws Exception {
        try (TcpPair pair = TcpPair.open()) {
            checkedWrite(pair.stream(), DATA1);
            pair.stream().close();
            ByteBuffer in = ByteBuffer.allocate(64);
            while (in.position() < DATA1.length) {
                assertThat(pair.peer().read(in)).isPositive();
            }
            assertThat(pair.peer().read(in)).isEqualTo(-1);
        }
    }

    /** Until the connect completes, peerAddress throws NotYetConnectedException (or it is done). */
    @Test
    void peerAddressWhileConnectingOrConnected() throws Exception {
        try (Poll poll = Poll.open(); ServerSocket server = new ServerSocket()) {
            server.bind(anyLocalAddress());
            Events events = Events.withCapacity(16);
            try (TcpStream stream = TcpStream.connect(server.getLocalSocketAddress())) {
                try {
                    assertThat(stream.peerAddress()).isEqualTo(server.getLocalSocketAddress());
                } catch (java.nio.channels.NotYetConnectedException expectedWhileConnecting) {
                    // fine: still connecting
                }
                poll.registry().register(stream, ID1, Interest.WRITABLE);
                expectEvents(poll, events, expected(ID1, WRITABLE));
                assertThat(stream.takeError()).isNull();
                assertThat(stream.peerAddress()).isEqualTo(server.getLocalSocketAddress());
            }
        }
    }

    @Test
    void shutdownRead() throws Exception {
        try (Poll poll = Poll.open(); EchoServer echo = new EchoServer(anyLocalAddress());
             TcpStream stream = TcpStream.connect(echo.address())) {
            Events events = Events.withCapacity(16);
            poll.registry().register(stream, ID1, BOTH);
            expectEvents(poll, events, expected(ID1, WRITABLE));
            checkedWrite(stream, DATA2);
            expectEvents(poll, events, expected(ID1, READABLE));
            stream.shutdown(Shutdown.READ);
            // On NIO a shut-down reading side reads as end of stream.
            assertThat(stream.read(ByteBuffer.allocate(32))).isEqualTo(-1);
            // The hint: later events carry read-closed (and nothing false).
            poll.registry().reregister(stream, ID1, BOTH);
            List<Snapshot> seen = expectEvents(poll, events, expected(ID1, READ_CLOSED));
            assertThat(seen).noneMatch(Snapshot::error).noneMatch(Snapshot::writeClosed);
        }
    }

    /** mio ignores its shutdown_write as flaky; here the hint makes it deterministic. */
    @Test
    void shutdownWrite() throws Exception {
        try (Poll poll = Poll.open(); EchoServer echo = new EchoServer(anyLocalAddress());
             TcpStream stream = TcpStream.connect(echo.address())) {
            Events events = Events.withCapacity(16);
            poll.registry().register(stream, ID1, BOTH);
            expectEvents(poll, events, expected(ID1, WRITABLE));
            checkedWrite(stream, DATA1);
            stream.shutdown(Shutdown.WRITE);
            assertThatThrownBy(() -> stream.write(ByteBuffer.wrap(DATA2))).isInstanceOf(ClosedChannelException.class);
            // The echo comes back; the readable event carries write-closed, learned from shutdown.
            List<Snapshot> seen = expectEvents(poll, events, expected(ID1, READABLE | WRITE_CLOSED));
            assertThat(seen).noneMatch(Snapshot::error);
            expectRead(stream, DATA1);
        }
    }

    @Test
    void shutdownBoth() throws Exception {
        try (Poll poll = Poll.open(); EchoServer echo = new EchoServer(anyLocalAddress());
             TcpStream stream = TcpStream.connect(echo.address())) {
            Events events = Events.withCapacity(16);
            poll.registry().register(stream, ID1, BOTH);
            expectEvents(poll, events, expected(ID1, WRITABLE));
            checkedWrite(stream, DATA1);
            expectEvents(poll, events, expected(ID1, READABLE));
            stream.shutdown(Shutdown.BOTH);
            assertThatThrownBy(() -> stream.write(ByteBuffer.wrap(DATA2))).isInstanceOf(ClosedChannelException.class);
            poll.registry().reregister(stream, ID1, BOTH);
            List<Snapshot> seen = expectEvents(poll, events, expected(ID1, READ_CLOSED | WRITE_CLOSED));
            assertThat(seen).noneMatch(Snapshot::error);
        }
    }

    @Test
    void registering() throws Exception {
        try (Poll poll = Poll.open(); EchoServer echo = new EchoServer(anyLocalAddress());
             TcpStream stream = TcpStream.connect(echo.address())) {
            Events events = Events.withCapacity(16);
            poll.registry().register(stream, ID1, Interest.READABLE);
            expectNoEvents(poll, events);
        }
    }

    @Test
    void reregistering() throws Exception {
        try (Poll poll = Poll.open(); EchoServer echo = new EchoServer(anyLocalAddress());
             TcpStream stream = TcpStream.connect(echo.address())) {
            Events events = Events.withCapacity(16);
            poll.registry().register(stream, ID1, Interest.READABLE);
            poll.registry().reregister(stream, ID2, Interest.WRITABLE);
            List<Snapshot> seen = expectEvents(poll, events, expected(ID2, WRITABLE));
            assertThat(seen).extracting(Snapshot::token).doesNotContain(ID1);
            assertThat(stream.peerAddress()).isEqualTo(echo.address());
        }
    }

    @Test
    void noEventsAfterDeregister() throws Exception {
        try (Poll poll = Poll.open(); EchoServer echo = new EchoServer(anyLocalAddress());
             TcpStream stream = TcpStream.connect(echo.address())) {
            Events events = Events.withCapacity(16);
            poll.registry().register(stream, ID1, BOTH);
            poll.registry().deregister(stream);
            expectNoEvents(poll, events);
            // The connect completes without the Poll: I/O finishes it (bounded wait).
            TestUtil.await("connected", Duration.ofSeconds(5), () -> {
                try {
                    return stream.peerAddress() != null;
                } catch (java.nio.channels.NotYetConnectedException | IOException e) {
                    return false;
                }
            });
            assertThat(stream.peerAddress()).isEqualTo(echo.address());
            assertReadWouldBlock(stream);
            checkedWrite(stream, DATA1);
            expectNoEvents(poll, events);
        }
    }

    /** mio's tcp_shutdown_client_read_close_event. */
    @Test
    void clientShutdownReadGivesReadClosed() throws Exception {
        CyclicBarrier barrier = new CyclicBarrier(2);
        try (Poll poll = Poll.open(); BarrierServer server = new BarrierServer(barrier, false);
             TcpStream stream = TcpStream.connect(server.address())) {
            Events events = Events.withCapacity(16);
            poll.registry().register(stream, ID1, BOTH);
            expectEvents(poll, events, expected(ID1, WRITABLE));
            stream.shutdown(Shutdown.READ);
            List<Snapshot> seen = expectEvents(poll, events, expected(ID1, READ_CLOSED));
            assertThat(seen).noneMatch(Snapshot::error).noneMatch(Snapshot::writeClosed);
            barrier.await(10, TimeUnit.SECONDS);
        }
    }

    /**
     * mio's tcp_shutdown_client_write_close_event (ignored by mio on Linux: epoll says nothing).
     * Here write-closed is learned from the shutdown and shows on the next event of the source.
     */
    @Test
    void clientShutdownWriteGivesWriteClosedOnLaterEvents() throws Exception {
        CyclicBarrier barrier = new CyclicBarrier(2);
        try (Poll poll = Poll.open(); BarrierServer server = new BarrierServer(barrier, false);
             TcpStream stream = TcpStream.connect(server.address())) {
            Events events = Events.withCapacity(16);
            poll.registry().register(stream, ID1, BOTH);
            List<Snapshot> first = expectEvents(poll, events, expected(ID1, WRITABLE));
            assertThat(first).allMatch(Snapshot::noHints);
            stream.shutdown(Shutdown.WRITE);
            barrier.await(10, TimeUnit.SECONDS); // the server closes: readable (end of stream)
            List<Snapshot> seen = expectEvents(poll, events, expected(ID1, READABLE | WRITE_CLOSED));
            assertThat(seen).noneMatch(Snapshot::error);
        }
    }

    /** mio's tcp_shutdown_server_write_close_event: the peer's FIN is readable; read-closed is learned at EOF. */
    @Test
    void serverShutdownWriteIsReadableThenReadClosed() throws Exception {
        CyclicBarrier barrier = new CyclicBarrier(2);
        try (Poll poll = Poll.open(); BarrierServer server = new BarrierServer(barrier, true);
             TcpStream stream = TcpStream.connect(server.address())) {
            Events events = Events.withCapacity(16);
            poll.registry().register(stream, ID1, BOTH);
            expectEvents(poll, events, expected(ID1, WRITABLE));
            barrier.await(10, TimeUnit.SECONDS);
            List<Snapshot> seen = expectEvents(poll, events, expected(ID1, READABLE));
            // Hints never lie: the peer closed its side, not ours, and nothing failed.
            assertThat(seen).noneMatch(Snapshot::error).noneMatch(Snapshot::writeClosed);
            assertThat(stream.read(ByteBuffer.allocate(16))).isEqualTo(-1);
            // No spin after end of stream.
            expectNoEventsFor(poll, events, Duration.ofMillis(150));
            // Learned from I/O: later events carry read-closed.
            poll.registry().reregister(stream, ID1, BOTH);
            seen = expectEvents(poll, events, expected(ID1, WRITABLE | READ_CLOSED));
            assertThat(seen).noneMatch(Snapshot::error).noneMatch(Snapshot::writeClosed);
            barrier.await(10, TimeUnit.SECONDS);
        }
    }

    /** mio's tcp_reset_close_event: the peer resets (SO_LINGER 0 close, with our data unread). */
    @Test
    void resetGivesErrorHintsAfterTheFailedRead() throws Exception {
        try (Poll poll = Poll.open(); ServerSocket listener = new ServerSocket()) {
            listener.bind(anyLocalAddress());
            Events events = Events.withCapacity(16);
            try (TcpStream stream = TcpStream.connect(listener.getLocalSocketAddress())) {
                poll.registry().register(stream, ID1, BOTH);
                Socket server = listener.accept();
                expectEvents(poll, events, expected(ID1, WRITABLE));
                checkedWrite(stream, DATA1);
                assertReadWouldBlock(stream);
                // Wait (bounded) until DATA1 is queued at the server, then reset: SO_LINGER 0.
                TestUtil.await("data at the server", Duration.ofSeconds(5), () -> {
                    try {
                        return server.getInputStream().available() >= DATA1.length;
                    } catch (IOException e) {
                        return false;
                    }
                });
                TestUtil.setLingerZero(server);
                server.close();

                List<Snapshot> seen = expectEvents(poll, events, expected(ID1, READABLE));
                if (TestUtil.kernelHints()) {
                    // epoll: the reset is in the hints of the first event already.
                    assertThat(seen).as("the kernel's hints").anyMatch(s -> s.error() && s.readClosed() && s.writeClosed());
                } else {
                    assertThat(seen).as("nothing learned yet: no hint").allMatch(s -> !s.error());
                }
                assertThatThrownBy(() -> stream.read(ByteBuffer.allocate(16))).isInstanceOf(IOException.class)
                        .isNotInstanceOf(ClosedChannelException.class);
                // No spin after the error.
                expectNoEventsFor(poll, events, Duration.ofMillis(150));
                // Learned from I/O: error, read-closed and write-closed on later events.
                poll.registry().reregister(stream, ID1, BOTH);
                expectEvents(poll, events, expected(ID1, ERROR | READ_CLOSED | WRITE_CLOSED));
                // And it quiesces.
                expectNoEventsFor(poll, events, Duration.ofMillis(150));
            }
        }
    }

    /** mio's tcp_shutdown_client_both_close_event. */
    @Test
    void clientShutdownBothGivesWriteClosed() throws Exception {
        CyclicBarrier barrier = new CyclicBarrier(2);
        try (Poll poll = Poll.open(); BarrierServer server = new BarrierServer(barrier, false);
             TcpStream stream = TcpStream.connect(server.address())) {
            Events events = Events.withCapacity(16);
            poll.registry().register(stream, ID1, BOTH);
            expectEvents(poll, events, expected(ID1, WRITABLE));
            stream.shutdown(Shutdown.BOTH);
            List<Snapshot> seen = expectEvents(poll, events, expected(ID1, WRITE_CLOSED));
            assertThat(seen).noneMatch(Snapshot::error);
            barrier.await(10, TimeUnit.SECONDS);
        }
    }

    /** mio's hup_event_on_disconnect: a reset by the peer (SO_LINGER 0) is readable. */
    @Test
    void hupEventOnDisconnect() throws Exception {
        try (Poll poll = Poll.open(); TcpListener listener = TcpListener.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            poll.registry().register(listener, new Token(0), Interest.READABLE);
            try (TcpStream stream = TcpStream.connect(listener.localAddress())) {
                poll.registry().register(stream, new Token(1), BOTH);
                expectEvents(poll, events, expected(new Token(0), READABLE), expected(new Token(1), WRITABLE));
                TcpStream sock = listener.accept();
                TestUtil.setLingerZero(sock);
                sock.close();
                expectEvents(poll, events, expected(new Token(1), READABLE));
            }
        }
    }

    /** A refused connect: writable + error (+ write-closed), and takeError() returns the failure. */
    @Test
    void connectRefused() throws Exception {
        SocketAddress nobody = TestUtil.refusingAddress();
        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(16);
            TcpStream stream;
            try {
                stream = TcpStream.connect(nobody);
            } catch (ConnectException refusedAtOnce) {
                // Failed synchronously: legal, but it does not test the event path.
                org.junit.jupiter.api.Assumptions.abort("connect refused synchronously");
                return;
            }
            try (stream) {
                poll.registry().register(stream, ID1, Interest.WRITABLE);
                List<Snapshot> seen = expectEvents(poll, events, expected(ID1, WRITABLE | ERROR | WRITE_CLOSED));
                assertThat(seen).filteredOn(s -> s.token().equals(ID1)).hasSize(1);
                IOException error = stream.takeError();
                assertThat(error).isNotNull();
                assertThat(stream.takeError()).as("takeError clears").isNull();
                // No spin afterwards.
                expectNoEventsFor(poll, events, Duration.ofMillis(150));
            }
        }
    }

    /** Writes until would-block: no writable event until the peer drains, then exactly one. */
    @Test
    void writeUntilWouldBlockThenWritableAgain() throws Exception {
        try (Poll poll = Poll.open(); TcpPair pair = TcpPair.open()) {
            Events events = Events.withCapacity(16);
            TcpStream stream = pair.stream();
            poll.registry().register(stream, ID1, BOTH);
            expectEvents(poll, events, expected(ID1, WRITABLE));
            ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
            long written = 0;
            int n;
            int rounds = 0;
            do {
                chunk.clear();
                n = stream.write(chunk);
                written += n;
            } while (n > 0 && ++rounds < 10_000);
            assertThat(n).as("write would block").isZero();
            expectNoEvents(poll, events);
            ByteBuffer sink = ByteBuffer.allocate(256 * 1024);
            long read = 0;
            while (read < written) {
                sink.clear();
                read += pair.peer().read(sink);
            }
            List<Snapshot> seen = expectEvents(poll, events, expected(ID1, WRITABLE));
            assertThat(seen).allMatch(Snapshot::noHints);
            expectNoEvents(poll, events);
        }
    }

    /** mio issue 1963: a read that would block re-arms reading only, never a spurious writable. */
    @Test
    void readWouldBlockDoesNotRearmWriting() throws Exception {
        try (Poll poll = Poll.open(); TcpPair pair = TcpPair.open()) {
            Events events = Events.withCapacity(16);
            poll.registry().register(pair.stream(), ID1, BOTH);
            expectEvents(poll, events, expected(ID1, WRITABLE));
            for (int i = 0; i < 5; i++) {
                assertReadWouldBlock(pair.stream());
                expectNoEvents(poll, events);
            }
            pair.peer().write(ByteBuffer.wrap(DATA1));
            List<Snapshot> seen = expectEvents(poll, events, expected(ID1, READABLE));
            assertThat(seen).noneMatch(Snapshot::writable);
        }
    }

    /**
     * A short read (room left in the buffer) re-arms reading by itself: bytes that come later are
     * reported without a read that returns 0 (verypoll's extension of mio's drain rule).
     */
    @Test
    void shortReadRearmsReading() throws Exception {
        try (Poll poll = Poll.open(); TcpPair pair = TcpPair.open()) {
            Events events = Events.withCapacity(16);
            poll.registry().register(pair.stream(), ID1, Interest.READABLE);
            for (byte[] data : new byte[][] {DATA1, DATA2, DATA1}) {
                pair.peer().write(ByteBuffer.wrap(data));
                expectEvents(poll, events, expected(ID1, READABLE));
                ByteBuffer dst = ByteBuffer.allocate(1024);
                int n = 0;
                // The bytes may arrive in pieces: read until all came, never until 0.
                while (n < data.length) {
                    int r = pair.stream().read(dst);
                    assertThat(r).as("a short read must not be followed by one that returns 0").isPositive();
                    n += r;
                    if (n < data.length) {
                        expectEvents(poll, events, expected(ID1, READABLE));
                    }
                }
                assertThat(n).isEqualTo(data.length);
            }
        }
    }

    /** A read that fills the buffer does not re-arm: more may be queued, so no event is owed yet. */
    @Test
    void fullReadDoesNotRearmReading() throws Exception {
        try (Poll poll = Poll.open(); TcpPair pair = TcpPair.open()) {
            Events events = Events.withCapacity(16);
            poll.registry().register(pair.stream(), ID1, Interest.READABLE);
            pair.peer().write(ByteBuffer.wrap(DATA1));
            expectEvents(poll, events, expected(ID1, READABLE));
            ByteBuffer small = ByteBuffer.allocate(DATA1.length / 2);
            assertThat(pair.stream().read(small)).isEqualTo(small.capacity());
            expectNoEvents(poll, events);
            pair.peer().write(ByteBuffer.wrap(DATA2));
            expectNoEvents(poll, events);
        }
    }

    /** Hints never give a false positive on a healthy connection exchanging data both ways. */
    @Test
    void noHintsOnAHealthyConnection() throws Exception {
        try (Poll poll = Poll.open(); TcpPair pair = TcpPair.open()) {
            Events events = Events.withCapacity(16);
            poll.registry().register(pair.stream(), ID1, BOTH);
            expectEvents(poll, events, expected(ID1, WRITABLE)).forEach(s -> assertThat(s.noHints()).isTrue());
            ByteBuffer in = ByteBuffer.allocate(64);
            for (int i = 0; i < 20; i++) {
                pair.peer().write(ByteBuffer.wrap(DATA1));
                for (Snapshot s : expectEvents(poll, events, expected(ID1, READABLE))) {
                    assertThat(s.noHints()).as("event %s", s).isTrue();
                }
                int total = 0;
                int n;
                while ((n = pair.stream().read(in.clear())) > 0) total += n;
                assertThat(n).isZero();
                assertThat(total).isEqualTo(DATA1.length);
                checkedWrite(pair.stream(), DATA2);
                ByteBuffer back = ByteBuffer.allocate(DATA2.length);
                while (back.hasRemaining()) pair.peer().read(back);
            }
        }
    }

    /** Writes after the peer is gone end in an IOException (mio's write_error), never a hang. */
    @Test
    void writeErrorAfterPeerClosed() throws Exception {
        try (Poll poll = Poll.open(); TcpPair pair = TcpPair.open()) {
            Events events = Events.withCapacity(16);
            TcpStream s = pair.stream();
            poll.registry().register(s, ID1, BOTH);
            expectEvents(poll, events, expected(ID1, WRITABLE));
            pair.peer().close();
            ByteBuffer buf = ByteBuffer.allocate(1024);
            IOException failure = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (failure == null && System.nanoTime() < deadline) {
                try {
                    buf.clear();
                    if (s.write(buf) == 0) {
                        poll.poll(events, Duration.ofMillis(100));
                    }
                } catch (IOException e) {
                    failure = e;
                }
            }
            assertThat(failure).isNotNull().isNotInstanceOf(ClosedChannelException.class);
            poll.registry().reregister(s, ID1, BOTH);
            expectEvents(poll, events, expected(ID1, ERROR));
        }
    }
}
