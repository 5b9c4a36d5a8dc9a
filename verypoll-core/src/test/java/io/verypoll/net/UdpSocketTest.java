package io.verypoll.net;

import static io.verypoll.TestUtil.DATA1;
import static io.verypoll.TestUtil.DATA2;
import static io.verypoll.TestUtil.READABLE;
import static io.verypoll.TestUtil.WRITABLE;
import static io.verypoll.TestUtil.anyLocalAddress;
import static io.verypoll.TestUtil.anyLocalIpv6Address;
import static io.verypoll.TestUtil.expectEvents;
import static io.verypoll.TestUtil.expectNoEvents;
import static io.verypoll.TestUtil.expected;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.verypoll.Event;
import io.verypoll.Events;
import io.verypoll.Interest;
import io.verypoll.Poll;
import io.verypoll.TestUtil;
import io.verypoll.TestUtil.Bg;
import io.verypoll.TestUtil.Snapshot;
import io.verypoll.Token;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NotYetConnectedException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** mio's udp_socket.rs. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class UdpSocketTest {

    private static final Token LISTENER = new Token(0);
    private static final Token SENDER = new Token(1);
    private static final Token ID1 = new Token(2);
    private static final Token ID2 = new Token(3);
    private static final Token ID3 = new Token(4);
    private static final Interest BOTH = Interest.READABLE.add(Interest.WRITABLE);

    private static void checkedSendTo(UdpSocket s, byte[] data, SocketAddress to) throws Exception {
        assertThat(s.sendTo(ByteBuffer.wrap(data), to)).as("short send").isEqualTo(data.length);
    }

    private static void checkedSend(UdpSocket s, byte[] data) throws Exception {
        assertThat(s.send(ByteBuffer.wrap(data))).as("short send").isEqualTo(data.length);
    }

    private static void expectRecvFrom(UdpSocket s, byte[] expected, SocketAddress from) throws Exception {
        ByteBuffer buf = ByteBuffer.allocate(64);
        SocketAddress got = s.recvFrom(buf);
        assertThat(got).isEqualTo(from);
        assertThat(Arrays.copyOf(buf.array(), buf.position())).isEqualTo(expected);
    }

    private static void expectRecv(UdpSocket s, byte[] expected) throws Exception {
        ByteBuffer buf = ByteBuffer.allocate(64);
        assertThat(s.recv(buf)).isEqualTo(expected.length);
        assertThat(Arrays.copyOf(buf.array(), buf.position())).isEqualTo(expected);
    }

    private static void assertRecvFromWouldBlock(UdpSocket s) throws Exception {
        ByteBuffer buf = ByteBuffer.allocate(64);
        TestUtil.assertWouldBlock(() -> s.recvFrom(buf));
        assertThat(buf.position()).isZero();
    }

    private static void assertRecvWouldBlock(UdpSocket s) throws Exception {
        assertThat(s.recv(ByteBuffer.allocate(64))).isEqualTo(-1);
    }

    /** An empty datagram: sendTo returns 0 (its length), the receiver gets a zero-length datagram. */
    @Test
    void emptyDatagram() throws Exception {
        try (Poll poll = Poll.open(); UdpSocket s1 = UdpSocket.bind(anyLocalAddress());
             UdpSocket s2 = UdpSocket.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            poll.registry().register(s1, ID1, Interest.WRITABLE);
            poll.registry().register(s2, ID2, Interest.READABLE);
            expectEvents(poll, events, expected(ID1, WRITABLE));
            assertThat(s1.sendTo(ByteBuffer.allocate(0), s2.localAddress())).isZero();
            expectEvents(poll, events, expected(ID2, READABLE));
            expectRecvFrom(s2, new byte[0], s1.localAddress());
        }
    }

    @Test
    void unconnectedIpv4() throws Exception {
        smokeUnconnected(UdpSocket.bind(anyLocalAddress()), UdpSocket.bind(anyLocalAddress()));
    }

    @Test
    void unconnectedIpv6() throws Exception {
        assumeTrue(TestUtil.ipv6Available(), "IPv6 loopback not available");
        smokeUnconnected(UdpSocket.bind(anyLocalIpv6Address()), UdpSocket.bind(anyLocalIpv6Address()));
    }

    /** fromChannel: a plain (blocking) DatagramChannel is made non-blocking. */
    @Test
    void unconnectedFromChannel() throws Exception {
        DatagramChannel c1 = DatagramChannel.open().bind(anyLocalAddress());
        DatagramChannel c2 = DatagramChannel.open().bind(anyLocalAddress());
        UdpSocket s1;
        try {
            s1 = TestUtil.nioOnly(c1, () -> UdpSocket.fromChannel(c1));
        } finally {
            if (!TestUtil.nio()) c2.close();
        }
        smokeUnconnected(s1, UdpSocket.fromChannel(c2));
        assertThat(c1.isOpen()).isFalse();
    }

    private static void smokeUnconnected(UdpSocket socket1, UdpSocket socket2) throws Exception {
        try (Poll poll = Poll.open(); socket1; socket2) {
            Events events = Events.withCapacity(16);
            TestUtil.assertNonBlocking(socket1::channel);
            TestUtil.assertNonBlocking(socket2::channel);
            SocketAddress address1 = socket1.localAddress();
            SocketAddress address2 = socket2.localAddress();
            poll.registry().register(socket1, ID1, BOTH);
            poll.registry().register(socket2, ID2, BOTH);
            List<Snapshot> seen = expectEvents(poll, events, expected(ID1, WRITABLE), expected(ID2, WRITABLE));
            assertThat(seen).allMatch(Snapshot::noHints);

            assertRecvFromWouldBlock(socket1);

            checkedSendTo(socket1, DATA1, address2);
            checkedSendTo(socket2, DATA2, address1);
            seen = expectEvents(poll, events, expected(ID1, READABLE), expected(ID2, READABLE));
            assertThat(seen).allMatch(Snapshot::noHints);

            expectRecvFrom(socket1, DATA2, address2);
            expectRecvFrom(socket2, DATA1, address1);
            assertThat(socket1.takeError()).isNull();
            assertThat(socket2.takeError()).isNull();
        }
    }

    @Test
    void setGetBroadcast() throws Exception {
        try (UdpSocket s = UdpSocket.bind(anyLocalAddress())) {
            s.broadcast(); // readable without a previous set
            s.setBroadcast(true);
            assertThat(s.broadcast()).isTrue();
            s.setBroadcast(false);
            assertThat(s.broadcast()).isFalse();
            assertThat(s.takeError()).isNull();
        }
    }

    @Test
    void setGetMulticastLoop() throws Exception {
        try (UdpSocket s = UdpSocket.bind(anyLocalAddress())) {
            s.multicastLoop();
            s.setMulticastLoop(true);
            assertThat(s.multicastLoop()).isTrue();
            s.setMulticastLoop(false);
            assertThat(s.multicastLoop()).isFalse();
            assertThat(s.takeError()).isNull();
        }
    }

    @Test
    void setGetMulticastLoopIpv6() throws Exception {
        assumeTrue(TestUtil.ipv6Available(), "IPv6 loopback not available");
        try (UdpSocket s = UdpSocket.bind(anyLocalIpv6Address())) {
            s.setMulticastLoop(true);
            assertThat(s.multicastLoop()).isTrue();
            s.setMulticastLoop(false);
            assertThat(s.multicastLoop()).isFalse();
        }
    }

    @Test
    void setGetMulticastTtl() throws Exception {
        try (UdpSocket s = UdpSocket.bind(anyLocalAddress())) {
            s.multicastTtl();
            s.setMulticastTtl(10);
            assertThat(s.multicastTtl()).isEqualTo(10);
            assertThat(s.takeError()).isNull();
        }
    }

    @Test
    void connectedIpv4() throws Exception {
        UdpSocket socket1 = UdpSocket.bind(anyLocalAddress());
        UdpSocket socket2 = UdpSocket.bind(anyLocalAddress());
        socket1.connect(socket2.localAddress());
        socket2.connect(socket1.localAddress());
        smokeConnected(socket1, socket2);
    }

    @Test
    void connectedIpv6() throws Exception {
        assumeTrue(TestUtil.ipv6Available(), "IPv6 loopback not available");
        UdpSocket socket1 = UdpSocket.bind(anyLocalIpv6Address());
        UdpSocket socket2 = UdpSocket.bind(anyLocalIpv6Address());
        socket1.connect(socket2.localAddress());
        socket2.connect(socket1.localAddress());
        smokeConnected(socket1, socket2);
    }

    @Test
    void connectedFromChannel() throws Exception {
        DatagramChannel c1 = DatagramChannel.open().bind(anyLocalAddress());
        DatagramChannel c2 = DatagramChannel.open().bind(anyLocalAddress());
        c1.connect(c2.getLocalAddress());
        c2.connect(c1.getLocalAddress());
        UdpSocket s1;
        try {
            s1 = TestUtil.nioOnly(c1, () -> UdpSocket.fromChannel(c1));
        } finally {
            if (!TestUtil.nio()) c2.close();
        }
        smokeConnected(s1, UdpSocket.fromChannel(c2));
    }

    private static void smokeConnected(UdpSocket socket1, UdpSocket socket2) throws Exception {
        try (Poll poll = Poll.open(); socket1; socket2) {
            Events events = Events.withCapacity(16);
            assertThat(socket1.peerAddress()).isEqualTo(socket2.localAddress());
            poll.registry().register(socket1, ID1, BOTH);
            poll.registry().register(socket2, ID2, BOTH);
            expectEvents(poll, events, expected(ID1, WRITABLE), expected(ID2, WRITABLE));
            assertRecvWouldBlock(socket1);
            checkedSend(socket1, DATA1);
            checkedSend(socket2, DATA2);
            expectEvents(poll, events, expected(ID1, READABLE), expected(ID2, READABLE));
            expectRecv(socket1, DATA2);
            expectRecv(socket2, DATA1);
            assertThat(socket1.takeError()).isNull();
            assertThat(socket2.takeError()).isNull();
        }
    }

    /** mio's reconnect_udp_socket_sending: connect again to another peer. */
    @Test
    void reconnectSending() throws Exception {
        try (Poll poll = Poll.open(); UdpSocket socket1 = UdpSocket.bind(anyLocalAddress());
             UdpSocket socket2 = UdpSocket.bind(anyLocalAddress());
             UdpSocket socket3 = UdpSocket.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            SocketAddress address1 = socket1.localAddress();
            socket1.connect(socket2.localAddress());
            socket2.connect(address1);
            socket3.connect(address1);
            poll.registry().register(socket1, ID1, BOTH);
            poll.registry().register(socket2, ID2, Interest.READABLE);
            poll.registry().register(socket3, ID3, Interest.READABLE);
            expectEvents(poll, events, expected(ID1, WRITABLE));
            checkedSend(socket1, DATA1);
            expectEvents(poll, events, expected(ID2, READABLE));
            expectRecv(socket2, DATA1);

            socket1.connect(socket3.localAddress());
            assertThat(socket1.peerAddress()).isEqualTo(socket3.localAddress());
            checkedSend(socket1, DATA2);
            expectEvents(poll, events, expected(ID3, READABLE));
            expectRecv(socket3, DATA2);
        }
    }

    /** mio's reconnect_udp_socket_receiving. */
    @Test
    void reconnectReceiving() throws Exception {
        try (Poll poll = Poll.open(); UdpSocket socket1 = UdpSocket.bind(anyLocalAddress());
             UdpSocket socket2 = UdpSocket.bind(anyLocalAddress());
             UdpSocket socket3 = UdpSocket.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            SocketAddress address1 = socket1.localAddress();
            SocketAddress address2 = socket2.localAddress();
            socket1.connect(address2);
            socket2.connect(address1);
            socket3.connect(address1);
            poll.registry().register(socket1, ID1, Interest.READABLE);
            poll.registry().register(socket2, ID2, Interest.WRITABLE);
            poll.registry().register(socket3, ID3, Interest.WRITABLE);
            expectEvents(poll, events, expected(ID2, WRITABLE), expected(ID3, WRITABLE));

            checkedSend(socket2, DATA1);
            expectEvents(poll, events, expected(ID1, READABLE));
            expectRecv(socket1, DATA1);
            assertRecvWouldBlock(socket1); // re-arms reading

            socket1.connect(socket3.localAddress());
            checkedSend(socket3, DATA2);
            expectEvents(poll, events, expected(ID1, READABLE));
            expectRecv(socket1, DATA2);
            assertRecvWouldBlock(socket1);

            socket1.connect(address2);
            checkedSend(socket2, DATA2);
            expectEvents(poll, events, expected(ID1, READABLE));
            expectRecv(socket1, DATA2);
        }
    }

    /** Unconnected: send is NotYetConnectedException; recv works and just does not tell the sender. */
    @Test
    void unconnectedSocketConnectedMethods() throws Exception {
        try (Poll poll = Poll.open(); UdpSocket socket1 = UdpSocket.bind(anyLocalAddress());
             UdpSocket socket2 = UdpSocket.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            poll.registry().register(socket1, ID1, Interest.WRITABLE);
            poll.registry().register(socket2, ID2, Interest.READABLE);
            expectEvents(poll, events, expected(ID1, WRITABLE));
            assertThatThrownBy(() -> socket1.send(ByteBuffer.wrap(DATA1))).isInstanceOf(NotYetConnectedException.class);
            assertThatThrownBy(socket1::peerAddress).isInstanceOf(NotYetConnectedException.class);
            checkedSendTo(socket1, DATA1, socket2.localAddress());
            expectEvents(poll, events, expected(ID2, READABLE));
            expectRecv(socket2, DATA1);
        }
    }

    /** Connected: recvFrom still works and names the peer. */
    @Test
    void connectedSocketUnconnectedMethods() throws Exception {
        try (Poll poll = Poll.open(); UdpSocket socket2 = UdpSocket.bind(anyLocalAddress());
             UdpSocket socket3 = UdpSocket.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            socket3.connect(socket2.localAddress());
            poll.registry().register(socket2, ID2, Interest.WRITABLE);
            poll.registry().register(socket3, ID3, Interest.READABLE);
            expectEvents(poll, events, expected(ID2, WRITABLE));
            checkedSendTo(socket2, DATA2, socket3.localAddress());
            expectEvents(poll, events, expected(ID3, READABLE));
            expectRecvFrom(socket3, DATA2, socket2.localAddress());
        }
    }

    @Test
    void register() throws Exception {
        try (Poll poll = Poll.open(); UdpSocket socket = UdpSocket.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            poll.registry().register(socket, ID1, Interest.READABLE);
            expectNoEvents(poll, events);
        }
    }

    /** mio's udp_socket_reregister. */
    @Test
    void reregister() throws Exception {
        try (Poll poll = Poll.open(); UdpSocket socket = UdpSocket.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            SocketAddress address = socket.localAddress();
            CyclicBarrier barrier = new CyclicBarrier(2);
            Bg sender = sendPackets(address, 1, barrier);
            poll.registry().register(socket, ID1, Interest.WRITABLE);
            barrier.await(10, TimeUnit.SECONDS);
            sender.join(); // the datagram is queued now
            List<Snapshot> seen = expectEvents(poll, events, expected(ID1, WRITABLE));
            assertThat(seen).as("not readable: not asked for").noneMatch(Snapshot::readable);
            poll.registry().reregister(socket, ID2, Interest.READABLE);
            expectEvents(poll, events, expected(ID2, READABLE));
            ByteBuffer buf = ByteBuffer.allocate(32);
            assertThat(socket.recvFrom(buf)).isNotNull();
            assertThat(Arrays.copyOf(buf.array(), buf.position())).isEqualTo(DATA1);
        }
    }

    @Test
    void noEventsAfterDeregister() throws Exception {
        try (Poll poll = Poll.open(); UdpSocket socket = UdpSocket.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            CyclicBarrier barrier = new CyclicBarrier(2);
            Bg sender = sendPackets(socket.localAddress(), 1, barrier);
            poll.registry().register(socket, ID1, Interest.READABLE);
            barrier.await(10, TimeUnit.SECONDS);
            sender.join();
            poll.registry().deregister(socket);
            expectNoEvents(poll, events);
            ByteBuffer buf = ByteBuffer.allocate(32);
            assertThat(socket.recvFrom(buf)).isNotNull();
            assertThat(Arrays.copyOf(buf.array(), buf.position())).isEqualTo(DATA1);
        }
    }

    private static Bg sendPackets(SocketAddress address, int n, CyclicBarrier barrier) {
        return Bg.start("send", () -> {
            try (DatagramSocket socket = new DatagramSocket(anyLocalAddress())) {
                for (int i = 0; i < n; i++) {
                    barrier.await(10, TimeUnit.SECONDS);
                    socket.send(new DatagramPacket(DATA1, DATA1.length, address));
                }
            }
        });
    }

    /** mio's send_recv_udp (udp_socket and udp_socket_send_recv): a small event loop. */
    @Test
    void sendRecvUnconnected() throws Exception {
        sendRecv(UdpSocket.bind(anyLocalAddress()), UdpSocket.bind(anyLocalAddress()), false);
    }

    @Test
    void sendRecvConnected() throws Exception {
        UdpSocket tx = UdpSocket.bind(anyLocalAddress());
        UdpSocket rx = UdpSocket.bind(anyLocalAddress());
        tx.connect(rx.localAddress());
        rx.connect(tx.localAddress());
        sendRecv(tx, rx, true);
    }

    private static void sendRecv(UdpSocket tx, UdpSocket rx, boolean connected) throws Exception {
        try (Poll poll = Poll.open(); tx; rx) {
            assertRecvFromWouldBlock(rx);
            poll.registry().register(tx, SENDER, Interest.WRITABLE);
            poll.registry().register(rx, LISTENER, Interest.READABLE);
            Events events = Events.withCapacity(1024);
            byte[] msg = "hello world".getBytes();
            ByteBuffer out = ByteBuffer.wrap(msg);
            boolean shutdown = false;
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!shutdown && System.nanoTime() < deadline) {
                poll.poll(events, Duration.ofSeconds(1));
                for (Event e : events) {
                    if (e.isReadable() && e.token().equals(LISTENER)) {
                        ByteBuffer in = ByteBuffer.allocate(1024);
                        if (connected) {
                            assertThat(rx.recv(in)).isEqualTo(msg.length);
                        } else {
                            assertThat(rx.recvFrom(in)).isEqualTo(tx.localAddress());
                        }
                        assertThat(Arrays.copyOf(in.array(), in.position())).isEqualTo(msg);
                        shutdown = true;
                    }
                    if (e.isWritable() && e.token().equals(SENDER) && out.hasRemaining()) {
                        if (connected) tx.send(out);
                        else tx.sendTo(out, rx.localAddress());
                    }
                }
            }
            assertThat(shutdown).isTrue();
        }
    }

    /** mio's udp_socket_discard: a connected socket only receives from its peer. */
    @Test
    void connectedSocketDiscardsOthers() throws Exception {
        try (Poll poll = Poll.open(); UdpSocket tx = UdpSocket.bind(anyLocalAddress());
             UdpSocket rx = UdpSocket.bind(anyLocalAddress());
             UdpSocket outside = UdpSocket.bind(anyLocalAddress())) {
            tx.connect(rx.localAddress());
            outside.connect(rx.localAddress());
            rx.connect(tx.localAddress());
            Events events = Events.withCapacity(1024);
            poll.registry().register(outside, ID1, Interest.WRITABLE);
            expectEvents(poll, events, expected(ID1, WRITABLE));
            checkedSend(outside, "hello world".getBytes());
            poll.registry().register(rx, LISTENER, Interest.READABLE);
            poll.registry().register(tx, SENDER, Interest.WRITABLE);
            long deadline = System.nanoTime() + Duration.ofMillis(300).toNanos();
            while (System.nanoTime() < deadline) {
                poll.poll(events, Duration.ofMillis(100));
                for (Event e : events) {
                    assertThat(e.isReadable() && e.token().equals(LISTENER))
                            .as("received a datagram from outside the connection").isFalse();
                }
            }
            assertRecvWouldBlock(rx);
        }
    }

    /** mio's et_behavior_recv: recv to would-block re-arms reading. */
    @Test
    void edgeBehaviourRecv() throws Exception {
        try (Poll poll = Poll.open(); UdpSocket socket1 = UdpSocket.bind(anyLocalAddress());
             UdpSocket socket2 = UdpSocket.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            poll.registry().register(socket1, ID1, Interest.WRITABLE);
            poll.registry().register(socket2, ID2, BOTH);
            expectEvents(poll, events, expected(ID1, WRITABLE), expected(ID2, WRITABLE));
            socket1.connect(socket2.localAddress());
            checkedSend(socket1, DATA1);
            expectEvents(poll, events, expected(ID2, READABLE));
            expectRecv(socket2, DATA1);
            // Not yet drained to would-block: a new datagram gives no event.
            checkedSend(socket1, DATA1);
            expectNoEvents(poll, events);
            expectRecv(socket2, DATA1);
            assertRecvWouldBlock(socket2);
            checkedSend(socket1, DATA1);
            expectEvents(poll, events, expected(ID2, READABLE));
            expectRecv(socket2, DATA1);
        }
    }

    /** mio's et_behavior_recv_from. */
    @Test
    void edgeBehaviourRecvFrom() throws Exception {
        try (Poll poll = Poll.open(); UdpSocket socket1 = UdpSocket.bind(anyLocalAddress());
             UdpSocket socket2 = UdpSocket.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            SocketAddress address1 = socket1.localAddress();
            SocketAddress address2 = socket2.localAddress();
            poll.registry().register(socket1, ID1, BOTH);
            poll.registry().register(socket2, ID2, BOTH);
            expectEvents(poll, events, expected(ID1, WRITABLE), expected(ID2, WRITABLE));
            checkedSendTo(socket1, DATA1, address2);
            expectEvents(poll, events, expected(ID2, READABLE));
            expectRecvFrom(socket2, DATA1, address1);
            assertRecvFromWouldBlock(socket2);
            checkedSendTo(socket1, DATA1, address2);
            expectEvents(poll, events, expected(ID2, READABLE));
            expectRecvFrom(socket2, DATA1, address1);
            assertThat(socket1.takeError()).isNull();
            assertThat(socket2.takeError()).isNull();
        }
    }

    /** Writable is reported once for an idle socket, and not again after a successful send. */
    @Test
    void writableOnceThenSilent() throws Exception {
        try (Poll poll = Poll.open(); UdpSocket a = UdpSocket.bind(anyLocalAddress());
             UdpSocket b = UdpSocket.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(16);
            poll.registry().register(a, ID1, Interest.WRITABLE);
            expectEvents(poll, events, expected(ID1, WRITABLE));
            checkedSendTo(a, DATA1, b.localAddress());
            TestUtil.expectNoEventsFor(poll, events, Duration.ofMillis(150));
        }
    }
}
