package io.verypoll.net;

import static io.verypoll.TestUtil.READABLE;
import static io.verypoll.TestUtil.WRITABLE;
import static io.verypoll.TestUtil.anyLocalAddress;
import static io.verypoll.TestUtil.assertWouldBlock;
import static io.verypoll.TestUtil.assertReadWouldBlock;
import static io.verypoll.TestUtil.checkedWrite;
import static io.verypoll.TestUtil.expectEvents;
import static io.verypoll.TestUtil.expectNoEvents;
import static io.verypoll.TestUtil.expectRead;
import static io.verypoll.TestUtil.expected;
import static io.verypoll.TestUtil.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import io.verypoll.Event;
import io.verypoll.Events;
import io.verypoll.Interest;
import io.verypoll.Poll;
import io.verypoll.TestUtil;
import io.verypoll.TestUtil.Bg;
import io.verypoll.TestUtil.Snapshot;
import io.verypoll.Token;
import io.verypoll.Waker;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** mio's tcp.rs, regressions.rs and close_on_drop.rs: whole event-loop flows over TCP. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TcpTest {

    private static final Interest BOTH = Interest.READABLE.add(Interest.WRITABLE);
    private static final int N = 8 * 1024 * 1024;

    private static long deadlineIn(Duration d) {
        return System.nanoTime() + d.toNanos();
    }

    @Test
    void accept() throws Exception {
        try (Poll poll = Poll.open(); TcpListener listener = TcpListener.bind(anyLocalAddress())) {
            Bg client = Bg.start("client", () -> {
                try (Socket s = new Socket()) {
                    s.connect(listener.localAddress(), 5000);
                }
            });
            poll.registry().register(listener, new Token(1), Interest.READABLE);
            Events events = Events.withCapacity(128);
            boolean hit = false;
            long deadline = deadlineIn(Duration.ofSeconds(10));
            while (!hit && System.nanoTime() < deadline) {
                poll.poll(events, Duration.ofSeconds(1));
                for (Event e : events) {
                    assertThat(e.token()).isEqualTo(new Token(1));
                    assertThat(e.isReadable()).isTrue();
                    try (TcpStream s = listener.accept()) {
                        assertThat(s).isNotNull();
                    }
                    hit = true;
                }
            }
            assertThat(hit).isTrue();
            assertWouldBlock(listener::accept);
            client.join();
        }
    }

    /** mio's connect: writable first, then readable once the peer closes. */
    @Test
    void connect() throws Exception {
        try (Poll poll = Poll.open(); ServerSocket listener = new ServerSocket()) {
            listener.bind(anyLocalAddress());
            CountDownLatch dropIt = new CountDownLatch(1);
            Bg server = Bg.start("server", () -> {
                Socket s = listener.accept();
                dropIt.await(10, TimeUnit.SECONDS);
                s.close();
            });
            try (TcpStream stream = TcpStream.connect(listener.getLocalSocketAddress())) {
                poll.registry().register(stream, new Token(1), BOTH);
                Events events = Events.withCapacity(128);
                List<Snapshot> first = expectEvents(poll, events, expected(new Token(1), WRITABLE));
                assertThat(first).hasSize(1);
                assertThat(first.get(0).readable()).isFalse();
                dropIt.countDown();
                server.join();
                List<Snapshot> second = expectEvents(poll, events, expected(new Token(1), READABLE));
                assertThat(second).hasSize(1);
            }
        }
    }

    /** mio's read: 8 MiB from a blocking writer, reading to would-block on each event. */
    @Test
    void read() throws Exception {
        try (Poll poll = Poll.open(); ServerSocket listener = new ServerSocket()) {
            listener.bind(anyLocalAddress());
            Bg writer = Bg.start("writer", () -> {
                try (Socket s = listener.accept()) {
                    OutputStream out = s.getOutputStream();
                    byte[] buf = new byte[64 * 1024];
                    for (int sent = 0; sent < N; sent += buf.length) out.write(buf);
                }
            });
            try (TcpStream stream = TcpStream.connect(listener.getLocalSocketAddress())) {
                poll.registry().register(stream, new Token(1), Interest.READABLE);
                Events events = Events.withCapacity(128);
                ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
                long amount = 0;
                long deadline = deadlineIn(Duration.ofSeconds(20));
                while (amount < N && System.nanoTime() < deadline) {
                    poll.poll(events, Duration.ofSeconds(1));
                    for (Event e : events) {
                        assertThat(e.token()).isEqualTo(new Token(1));
                        int n;
                        while ((n = stream.read(buf.clear())) > 0) amount += n;
                    }
                }
                assertThat(amount).isEqualTo(N);
            }
            writer.join();
        }
    }

    /** mio's write: 8 MiB to a blocking reader, writing to would-block on each event. */
    @Test
    void write() throws Exception {
        try (Poll poll = Poll.open(); ServerSocket listener = new ServerSocket()) {
            listener.bind(anyLocalAddress());
            long[] received = new long[1];
            Bg reader = Bg.start("reader", () -> {
                try (Socket s = listener.accept()) {
                    InputStream in = s.getInputStream();
                    byte[] buf = new byte[64 * 1024];
                    int n;
                    while (received[0] < N && (n = in.read(buf)) > 0) {
                        for (int i = 0; i < n; i++) {
                            if (buf[i] != 1) throw new AssertionError("corrupt byte at " + (received[0] + i));
                        }
                        received[0] += n;
                    }
                }
            });
            try (TcpStream stream = TcpStream.connect(listener.getLocalSocketAddress())) {
                poll.registry().register(stream, new Token(1), Interest.WRITABLE);
                Events events = Events.withCapacity(128);
                ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
                java.util.Arrays.fill(chunk.array(), (byte) 1);
                long amount = 0;
                long deadline = deadlineIn(Duration.ofSeconds(20));
                while (amount < N && System.nanoTime() < deadline) {
                    poll.poll(events, Duration.ofSeconds(1));
                    for (Event e : events) {
                        assertThat(e.isWritable()).isTrue();
                        int n;
                        do {
                            chunk.clear().limit((int) Math.min(chunk.capacity(), N - amount));
                            n = stream.write(chunk);
                            amount += n;
                        } while (n > 0 && amount < N);
                    }
                }
                assertThat(amount).isEqualTo(N);
                reader.join();
                assertThat(received[0]).isEqualTo(N);
            }
        }
    }

    /**
     * O-BYTES: an echo server on one Poll serves several blocking clients at once; each client
     * gets back exactly the bytes it sent (a lost edge would stall a connection and time out).
     */
    @Test
    void echoManyConnectionsExactBytes() throws Exception {
        int clients = 6;
        int perClient = 512 * 1024;
        try (Poll poll = Poll.open(); TcpListener listener = TcpListener.bind(anyLocalAddress())) {
            Token listenToken = new Token(-1);
            poll.registry().register(listener, listenToken, Interest.READABLE);
            java.util.List<Bg> threads = new java.util.ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int seed = c;
                threads.add(Bg.start("client-" + c, () -> {
                    try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(listener.localAddress())) {
                        Bg writer = Bg.start("client-writer-" + seed, () -> {
                            java.util.Random rnd = new java.util.Random(seed);
                            byte[] chunk = new byte[8192];
                            for (int sent = 0; sent < perClient; sent += chunk.length) {
                                rnd.nextBytes(chunk);
                                ByteBuffer b = ByteBuffer.wrap(chunk);
                                while (b.hasRemaining()) ch.write(b);
                            }
                        });
                        java.util.Random expect = new java.util.Random(seed);
                        byte[] want = new byte[8192];
                        ByteBuffer in = ByteBuffer.allocate(8192);
                        int received = 0;
                        while (received < perClient) {
                            in.clear();
                            while (in.hasRemaining()) {
                                if (ch.read(in) < 0) throw new AssertionError("early end of stream at " + received);
                            }
                            expect.nextBytes(want);
                            assertThat(in.array()).as("bytes %d.. of client %d", received, seed).isEqualTo(want);
                            received += in.capacity();
                        }
                        writer.join();
                    }
                }));
            }
            java.util.Map<Long, TcpStream> conns = new java.util.HashMap<>();
            java.util.Map<Long, ByteBuffer> pending = new java.util.HashMap<>();
            Events events = Events.withCapacity(4); // smaller than the connection count on purpose
            long next = 0;
            int closed = 0;
            long deadline = deadlineIn(Duration.ofSeconds(25));
            while (closed < clients && System.nanoTime() < deadline) {
                poll.poll(events, Duration.ofSeconds(1));
                for (Event e : events) {
                    if (e.token().equals(listenToken)) {
                        TcpStream s;
                        while ((s = listener.accept()) != null) {
                            long id = next++;
                            conns.put(id, s);
                            pending.put(id, ByteBuffer.allocate(16 * 1024).flip());
                            poll.registry().register(s, new Token(id), BOTH);
                        }
                        continue;
                    }
                    long id = e.token().value();
                    TcpStream s = conns.get(id);
                    ByteBuffer out = pending.get(id);
                    service:
                    for (;;) {
                        while (out.hasRemaining()) {
                            if (s.write(out) == 0) break service; // would block: wait for writable
                        }
                        out.clear();
                        int n = s.read(out);
                        out.flip();
                        if (n == 0) break; // would block: wait for readable
                        if (n < 0) {
                            s.close();
                            closed++;
                            break;
                        }
                    }
                }
            }
            for (Bg t : threads) t.join();
            assertThat(closed).isEqualTo(clients);
        }
    }

    /** mio's connection_reset_by_peer: registered after the reset, the accepted side is readable. */
    @Test
    void connectionResetByPeer() throws Exception {
        try (Poll poll = Poll.open(); TcpListener listener = TcpListener.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            TcpStream client = TcpStream.connect(listener.localAddress());
            poll.registry().register(listener, new Token(0), Interest.READABLE);
            poll.registry().register(client, new Token(1), BOTH);
            TcpStream server = null;
            boolean connected = false;
            long deadline = deadlineIn(Duration.ofSeconds(10));
            while ((server == null || !connected) && System.nanoTime() < deadline) {
                poll.poll(events, Duration.ofSeconds(1));
                for (Event e : events) {
                    if (e.token().equals(new Token(0))) server = listener.accept();
                    if (e.token().equals(new Token(1)) && e.isWritable()) connected = true;
                }
            }
            assertThat(server).isNotNull();
            assertThat(connected).isTrue();
            TestUtil.setLingerZero(client);
            client.close();
            poll.registry().register(server, new Token(3), Interest.READABLE);
            expectEvents(poll, events, expected(new Token(3), READABLE));
            try {
                int n = server.read(ByteBuffer.allocate(16));
                assertThat(n).as("expected end of stream or an error").isEqualTo(-1);
            } catch (IOException expected) {
                assertThat(expected).isNotInstanceOf(java.nio.channels.ClosedChannelException.class);
            }
            server.close();
        }
    }

    /** mio's write_shutdown: the peer's shutdown(WRITE) is readable; hints never lie. */
    @Test
    void writeShutdown() throws Exception {
        try (Poll poll = Poll.open(); ServerSocket listener = new ServerSocket()) {
            listener.bind(anyLocalAddress());
            try (TcpStream client = TcpStream.connect(listener.getLocalSocketAddress());
                 Socket socket = listener.accept()) {
                poll.registry().register(client, new Token(0), BOTH);
                Events events = Events.withCapacity(16);
                List<Snapshot> seen = expectEvents(poll, events, expected(new Token(0), WRITABLE));
                assertThat(seen).allMatch(Snapshot::noHints);
                poll.poll(events, Duration.ofMillis(100));
                assertThat(snapshot(events)).isEmpty();
                socket.shutdownOutput();
                seen = expectEvents(poll, events, expected(new Token(0), READABLE));
                // mio sees read-closed here through EPOLLRDHUP; NIO hides it (a legal false
                // negative). A false positive would be a bug.
                assertThat(seen).noneMatch(Snapshot::error).noneMatch(Snapshot::writeClosed);
            }
        }
    }

    /** mio's local_addr_ready. */
    @Test
    void localAddrReady() throws Exception {
        try (Poll poll = Poll.open(); TcpListener server = TcpListener.bind(anyLocalAddress())) {
            Token listen = new Token(0);
            Token clientToken = new Token(1);
            Token serverToken = new Token(2);
            poll.registry().register(server, listen, Interest.READABLE);
            TcpStream sock = TcpStream.connect(server.localAddress());
            poll.registry().register(sock, clientToken, Interest.READABLE);
            Events events = Events.withCapacity(1024);
            TcpStream accepted = null;
            boolean done = false;
            long deadline = deadlineIn(Duration.ofSeconds(10));
            while (!done && System.nanoTime() < deadline) {
                poll.poll(events, Duration.ofSeconds(1));
                for (Event e : events) {
                    if (e.token().equals(listen)) {
                        accepted = server.accept();
                        poll.registry().register(accepted, serverToken, Interest.WRITABLE);
                    } else if (e.token().equals(serverToken)) {
                        assertThat(accepted.peerAddress()).isNotNull();
                        assertThat(accepted.localAddress()).isNotNull();
                        assertThat(accepted.write(ByteBuffer.wrap(new byte[] {1, 2, 3}))).isEqualTo(3);
                    } else if (e.token().equals(clientToken)) {
                        assertThat(sock.peerAddress()).isEqualTo(server.localAddress());
                        assertThat(sock.localAddress()).isNotNull();
                        done = true;
                    }
                }
            }
            assertThat(done).isTrue();
            sock.close();
            accepted.close();
        }
    }

    /** mio's write_then_drop / write_then_deregister: data written before close/deregister arrives. */
    @Test
    void writeThenDrop() throws Exception {
        writeThenGoAway(true);
    }

    @Test
    void writeThenDeregister() throws Exception {
        writeThenGoAway(false);
    }

    private static void writeThenGoAway(boolean drop) throws Exception {
        try (Poll poll = Poll.open(); TcpListener a = TcpListener.bind(anyLocalAddress());
             TcpStream s = TcpStream.connect(a.localAddress())) {
            poll.registry().register(a, new Token(1), Interest.READABLE);
            poll.registry().register(s, new Token(3), Interest.READABLE);
            Events events = Events.withCapacity(1024);
            List<Snapshot> seen = expectEvents(poll, events, expected(new Token(1), READABLE));
            assertThat(seen).extracting(Snapshot::token).containsOnly(new Token(1));
            TcpStream s2 = a.accept();
            poll.registry().register(s2, new Token(2), Interest.WRITABLE);
            seen = expectEvents(poll, events, expected(new Token(2), WRITABLE));
            assertThat(seen).extracting(Snapshot::token).containsOnly(new Token(2));
            checkedWrite(s2, new byte[] {1, 2, 3, 4});
            if (drop) {
                s2.close();
            } else {
                poll.registry().deregister(s2);
            }
            poll.registry().reregister(s, new Token(3), Interest.READABLE);
            seen = expectEvents(poll, events, expected(new Token(3), READABLE));
            assertThat(seen).extracting(Snapshot::token).containsOnly(new Token(3));
            expectRead(s, new byte[] {1, 2, 3, 4});
            if (!drop) s2.close();
        }
    }

    /** mio's tcp_no_events_after_deregister. */
    @Test
    void noEventsAfterDeregister() throws Exception {
        try (Poll poll = Poll.open(); TcpListener listener = TcpListener.bind(anyLocalAddress());
             TcpStream stream = TcpStream.connect(listener.localAddress())) {
            Events events = Events.withCapacity(16);
            Token id1 = new Token(1);
            Token id2 = new Token(2);
            Token id3 = new Token(3);
            poll.registry().register(listener, id1, Interest.READABLE);
            poll.registry().register(stream, id3, Interest.READABLE);
            expectEvents(poll, events, expected(id1, READABLE));
            try (TcpStream stream2 = listener.accept()) {
                InetSocketAddress peer = (InetSocketAddress) stream2.peerAddress();
                assertThat(peer.getAddress().isLoopbackAddress()).isTrue();
                assertThat(stream2.localAddress()).isEqualTo(listener.localAddress());
                poll.registry().register(stream2, id2, Interest.WRITABLE);
                expectEvents(poll, events, expected(id2, WRITABLE));
                checkedWrite(stream2, new byte[] {1, 2, 3, 4});
                expectEvents(poll, events, expected(id3, READABLE));

                poll.registry().deregister(listener);
                poll.registry().deregister(stream);
                poll.registry().deregister(stream2);
                expectNoEvents(poll, events);

                expectRead(stream, new byte[] {1, 2, 3, 4});
                checkedWrite(stream2, new byte[] {1, 2, 3, 4});
                expectNoEvents(poll, events);
                // Wait (bounded) for the bytes to arrive, without any event.
                ByteBuffer buf = ByteBuffer.allocate(10);
                long deadline = deadlineIn(Duration.ofSeconds(5));
                while (buf.position() < 4 && System.nanoTime() < deadline) stream.read(buf);
                assertThat(buf.position()).isEqualTo(4);
                expectNoEvents(poll, events);
            }
        }
    }

    /** mio's issue_776 / drop_cancels_interest_and_shuts_down. */
    @Test
    void issue776ConnectedThenWouldBlock() throws Exception {
        try (Poll poll = Poll.open(); ServerSocket listener = new ServerSocket()) {
            listener.bind(anyLocalAddress());
            Bg server = Bg.start("server", () -> {
                try (Socket s = listener.accept()) {
                    s.setSoTimeout(5000);
                    s.getInputStream().read(new byte[16]);
                }
            });
            TcpStream stream = TcpStream.connect(listener.getLocalSocketAddress());
            poll.registry().register(stream, new Token(1), BOTH);
            Events events = Events.withCapacity(16);
            expectEvents(poll, events, expected(new Token(1), WRITABLE));
            assertReadWouldBlock(stream);
            stream.close();
            server.join();
        }
    }

    /** mio's issue_1205: a deregistered listener's pending connection never shows; only the waker's event. */
    @Test
    void issue1205() throws Exception {
        try (Poll poll = Poll.open(); TcpListener listener = TcpListener.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            Token wakeToken = new Token(10);
            Waker waker = new Waker(poll.registry(), wakeToken);
            poll.registry().register(listener, new Token(1), Interest.READABLE);
            poll.poll(events, Duration.ZERO);
            assertThat(events.isEmpty()).isTrue();
            try (TcpStream stream = TcpStream.connect(listener.localAddress())) {
                poll.registry().deregister(listener);
                Thread me = Thread.currentThread();
                Bg bg = Bg.start("waker", () -> {
                    TestUtil.awaitInPoll(me);
                    waker.wake();
                });
                poll.poll(events, null);
                List<Snapshot> got = snapshot(events);
                assertThat(got).hasSize(1);
                assertThat(got.get(0).token()).isEqualTo(wakeToken);
                assertThat(got.get(0).readable()).isTrue();
                bg.join();
            }
        }
    }

    /** mio's close_on_drop: read the data, then end of stream when the peer goes away. */
    @Test
    void closeOnDrop() throws Exception {
        Token serverToken = new Token(0);
        Token clientToken = new Token(1);
        try (Poll poll = Poll.open(); TcpListener srv = TcpListener.bind(anyLocalAddress());
             TcpStream cli = TcpStream.connect(srv.localAddress())) {
            poll.registry().register(srv, serverToken, Interest.READABLE);
            poll.registry().register(cli, clientToken, Interest.WRITABLE);
            Events events = Events.withCapacity(1024);
            boolean afterRead = false;
            boolean shutdown = false;
            long deadline = deadlineIn(Duration.ofSeconds(10));
            while (!shutdown && System.nanoTime() < deadline) {
                poll.poll(events, Duration.ofSeconds(1));
                for (Event e : events) {
                    if (e.isReadable()) {
                        if (e.token().equals(serverToken)) {
                            TcpStream accepted = srv.accept();
                            if (accepted != null) accepted.close(); // dropped at once: EOF for the client
                        } else {
                            assertThat(e.token()).isEqualTo(clientToken);
                            ByteBuffer buf = ByteBuffer.allocate(4096);
                            int n = cli.read(buf);
                            afterRead = true;
                            if (n == -1) shutdown = true;
                            else assertThat(n).as("no data was sent").isZero();
                        }
                        poll.registry().reregister(cli, clientToken, Interest.READABLE);
                    }
                    if (e.isWritable()) {
                        assertThat(e.token()).isEqualTo(clientToken);
                        poll.registry().reregister(cli, clientToken, Interest.READABLE);
                    }
                }
            }
            assertThat(afterRead).isTrue();
            assertThat(shutdown).isTrue();
        }
    }
}
