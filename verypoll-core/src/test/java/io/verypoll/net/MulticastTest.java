package io.verypoll.net;

import static io.verypoll.TestUtil.READABLE;
import static io.verypoll.TestUtil.expectEvents;
import static io.verypoll.TestUtil.expectNoEventsFor;
import static io.verypoll.TestUtil.expected;
import static io.verypoll.TestUtil.nio;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.verypoll.Events;
import io.verypoll.Interest;
import io.verypoll.Poll;
import io.verypoll.TestUtil;
import io.verypoll.Token;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.MembershipKey;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * UDP multicast on both backends, for real: a socket joins a group on the loopback interface and
 * receives a datagram sent to the group (a JDK sender with {@code IP_MULTICAST_IF} on loopback:
 * nothing leaves the machine; Linux delivers group traffic on {@code lo} even without its
 * MULTICAST flag), then drops the membership and receives no more. The key is a {@link
 * MembershipKey} on both: the JDK's on NIO, verypoll's on epoll (whose {@code channel()} throws).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MulticastTest {
    // Source filtering (block, unblock) and source-specific joins run on both backends too, with
    // senders bound to 127.0.0.1 and 127.0.0.2: both lo's on Linux.
    private static final Token ID = new Token(3);
    /** Administratively scoped (239/8): never routed beyond the site; here it never leaves lo. */
    private static final String GROUP = "239.255.77.";

    @Test
    void joinReceiveDropOnLoopback() throws Exception {
        NetworkInterface lo = NetworkInterface.getByInetAddress(InetAddress.getLoopbackAddress());
        assumeTrue(lo != null, "no loopback interface");
        InetAddress group = InetAddress.getByName(GROUP + (1 + (ProcessHandle.current().pid() % 200)));
        // Bound to the group address itself: only that group's datagrams reach it, nothing unicast.
        try (Poll poll = Poll.open(); UdpSocket receiver = UdpSocket.bind(new InetSocketAddress(group, 0));
             DatagramChannel sender = DatagramChannel.open(StandardProtocolFamily.INET)) {
            sender.setOption(StandardSocketOptions.IP_MULTICAST_IF, lo);
            sender.setOption(StandardSocketOptions.IP_MULTICAST_LOOP, true);
            InetSocketAddress target = new InetSocketAddress(group, ((InetSocketAddress) receiver.localAddress()).getPort());

            MembershipKey key = receiver.joinMulticast(group, lo);
            assertThat(key.isValid()).isTrue();
            assertThat(key.group()).isEqualTo(group);
            assertThat(key.networkInterface()).isEqualTo(lo);
            assertThat(key.sourceAddress()).isNull();
            assertThat(receiver.joinMulticast(group, lo)).as("the same membership again").isSameAs(key);
            if (nio()) {
                assertThat(key.channel()).isSameAs(receiver.channel());
            } else {
                assertThatThrownBy(key::channel).isInstanceOf(UnsupportedOperationException.class)
                        .hasMessageContaining("nio backend");
            }
            assertThatThrownBy(() -> receiver.joinMulticast(InetAddress.getByName("127.0.0.1"), lo))
                    .isInstanceOf(IllegalArgumentException.class);

            Events events = Events.withCapacity(8);
            poll.registry().register(receiver, ID, Interest.READABLE);
            byte[] hello = "to the group".getBytes(StandardCharsets.US_ASCII);
            try {
                sender.send(ByteBuffer.wrap(hello), target);
            } catch (SocketException e) {
                assumeTrue(false, "this machine cannot send multicast on loopback: " + e);
            }
            expectEvents(poll, events, expected(ID, READABLE));
            ByteBuffer got = ByteBuffer.allocate(64);
            assertThat(receiver.recvFrom(got)).isNotNull();
            assertThat(new String(got.array(), 0, got.position(), StandardCharsets.US_ASCII)).isEqualTo("to the group");
            assertThat(receiver.recvFrom(ByteBuffer.allocate(64))).as("drained").isNull();

            key.drop();
            assertThat(key.isValid()).isFalse();
            sender.send(ByteBuffer.wrap(hello), target);
            expectNoEventsFor(poll, events, Duration.ofMillis(300));
            assertThat(receiver.recvFrom(ByteBuffer.allocate(64))).as("no member, no datagram").isNull();

            // Joining again works, and the group's datagrams come again.
            MembershipKey again = receiver.joinMulticast(group, lo);
            assertThat(again).isNotSameAs(key);
            sender.send(ByteBuffer.wrap(hello), target);
            expectEvents(poll, events, expected(ID, READABLE));
            assertThat(receiver.recvFrom(ByteBuffer.allocate(64))).isNotNull();
        }
    }

    /** A JDK sender on lo from {@code from} (any 127/8 address is lo's on Linux). */
    private static DatagramChannel senderFrom(String from, NetworkInterface lo) throws IOException {
        DatagramChannel sender = DatagramChannel.open(StandardProtocolFamily.INET);
        try {
            sender.bind(new InetSocketAddress(from, 0));
            sender.setOption(StandardSocketOptions.IP_MULTICAST_IF, lo);
            sender.setOption(StandardSocketOptions.IP_MULTICAST_LOOP, true);
            return sender;
        } catch (IOException e) {
            sender.close();
            assumeTrue(false, "cannot send multicast on lo from " + from + ": " + e);
            throw e;
        }
    }

    private static NetworkInterface loopback() throws SocketException {
        NetworkInterface lo = NetworkInterface.getByInetAddress(InetAddress.getLoopbackAddress());
        assumeTrue(lo != null, "no loopback interface");
        return lo;
    }

    /**
     * Sends "other" from the other source first, then "allowed": if the filter let the other
     * through, it would be queued first. The receiver gets the allowed one, from the allowed source,
     * and nothing more.
     */
    private static void onlyTheAllowedSourceArrives(Poll poll, Events events, UdpSocket receiver, DatagramChannel allowed,
            DatagramChannel other, InetSocketAddress target) throws IOException {
        other.send(ByteBuffer.wrap("other".getBytes(StandardCharsets.US_ASCII)), target);
        allowed.send(ByteBuffer.wrap("allowed".getBytes(StandardCharsets.US_ASCII)), target);
        expectEvents(poll, events, expected(ID, READABLE));
        ByteBuffer got = ByteBuffer.allocate(64);
        InetSocketAddress from = (InetSocketAddress) receiver.recvFrom(got);
        assertThat(new String(got.array(), 0, got.position(), StandardCharsets.US_ASCII)).isEqualTo("allowed");
        assertThat(from.getAddress()).isEqualTo(((InetSocketAddress) allowed.getLocalAddress()).getAddress());
        assertThat(receiver.recvFrom(ByteBuffer.allocate(64))).as("the other source's datagram was filtered").isNull();
    }

    /** Both senders get through: the other's datagram (sent first) and the allowed one; drained after. */
    private static void bothSourcesArrive(Poll poll, Events events, UdpSocket receiver, DatagramChannel a, DatagramChannel b,
            InetSocketAddress target) throws IOException {
        b.send(ByteBuffer.wrap("b".getBytes(StandardCharsets.US_ASCII)), target);
        a.send(ByteBuffer.wrap("a".getBytes(StandardCharsets.US_ASCII)), target);
        expectEvents(poll, events, expected(ID, READABLE));
        int received = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (received < 2 && System.nanoTime() < deadline) {
            if (receiver.recvFrom(ByteBuffer.allocate(64)) != null) {
                received++;
            } else {
                poll.poll(events, Duration.ofMillis(100));
            }
        }
        assertThat(received).as("datagrams from both sources").isEqualTo(2);
        assertThat(receiver.recvFrom(ByteBuffer.allocate(64))).as("drained: reading is re-armed").isNull();
    }

    /** Source-specific multicast (SSM): datagrams from the joined source only. */
    @Test
    void sourceSpecificMembershipReceivesFromItsSourceOnly() throws Exception {
        NetworkInterface lo = loopback();
        InetAddress group = InetAddress.getByName("232.255.77." + (1 + (ProcessHandle.current().pid() % 200)));
        InetAddress allowedSource = InetAddress.getByName("127.0.0.1");
        try (Poll poll = Poll.open(); UdpSocket receiver = UdpSocket.bind(new InetSocketAddress(group, 0));
             DatagramChannel allowed = senderFrom("127.0.0.1", lo); DatagramChannel other = senderFrom("127.0.0.2", lo)) {
            InetSocketAddress target = new InetSocketAddress(group, ((InetSocketAddress) receiver.localAddress()).getPort());
            MembershipKey key = receiver.joinMulticast(group, lo, allowedSource);
            assertThat(key.sourceAddress()).isEqualTo(allowedSource);
            assertThat(key.group()).isEqualTo(group);
            assertThat(receiver.joinMulticast(group, lo, allowedSource)).as("the same membership again").isSameAs(key);
            assertThatThrownBy(() -> receiver.joinMulticast(group, lo)).as("any-source beside source-specific")
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> key.block(InetAddress.getByName("127.0.0.2"))).as("nothing to block")
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> receiver.joinMulticast(group, lo, group)).as("a multicast source")
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> receiver.joinMulticast(group, lo, InetAddress.getByName("::1"))).as("another family")
                    .isInstanceOf(IllegalArgumentException.class);

            Events events = Events.withCapacity(8);
            poll.registry().register(receiver, ID, Interest.READABLE);
            onlyTheAllowedSourceArrives(poll, events, receiver, allowed, other, target);

            // A second source joins the same group: both come.
            MembershipKey second = receiver.joinMulticast(group, lo, InetAddress.getByName("127.0.0.2"));
            assertThat(second).isNotSameAs(key);
            bothSourcesArrive(poll, events, receiver, allowed, other, target);
            second.drop();
            onlyTheAllowedSourceArrives(poll, events, receiver, allowed, other, target);

            key.drop();
            assertThat(key.isValid()).isFalse();
            allowed.send(ByteBuffer.wrap("late".getBytes(StandardCharsets.US_ASCII)), target);
            expectNoEventsFor(poll, events, Duration.ofMillis(300));
            assertThat(receiver.recvFrom(ByteBuffer.allocate(64))).as("no member, no datagram").isNull();
        }
    }

    /** An any-source membership with one source blocked, then unblocked. */
    @Test
    void blockAndUnblockASource() throws Exception {
        NetworkInterface lo = loopback();
        InetAddress group = InetAddress.getByName(GROUP + (1 + ((ProcessHandle.current().pid() + 50) % 200)));
        InetAddress blockedSource = InetAddress.getByName("127.0.0.2");
        try (Poll poll = Poll.open(); UdpSocket receiver = UdpSocket.bind(new InetSocketAddress(group, 0));
             DatagramChannel allowed = senderFrom("127.0.0.1", lo); DatagramChannel other = senderFrom("127.0.0.2", lo)) {
            InetSocketAddress target = new InetSocketAddress(group, ((InetSocketAddress) receiver.localAddress()).getPort());
            MembershipKey key = receiver.joinMulticast(group, lo);
            assertThatThrownBy(() -> receiver.joinMulticast(group, lo, blockedSource)).as("source-specific beside any-source")
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> key.unblock(blockedSource)).as("not blocked").isInstanceOf(IllegalStateException.class);

            Events events = Events.withCapacity(8);
            poll.registry().register(receiver, ID, Interest.READABLE);
            bothSourcesArrive(poll, events, receiver, allowed, other, target);

            assertThat(key.block(blockedSource)).isSameAs(key);
            assertThat(key.block(blockedSource)).as("blocking again does nothing").isSameAs(key);
            onlyTheAllowedSourceArrives(poll, events, receiver, allowed, other, target);

            assertThat(key.unblock(blockedSource)).isSameAs(key);
            bothSourcesArrive(poll, events, receiver, allowed, other, target);

            key.drop();
            assertThatThrownBy(() -> key.block(blockedSource)).as("dropped").isInstanceOf(IllegalStateException.class);
        }
    }

    /**
     * IPv6 on lo: an any-source and a source-specific membership of link-local groups (ff02::,
     * ff32::), and a datagram received. Linux gives lo no IPv6 multicast route by default, and even
     * with one this kernel never loops the datagram back (measured): a JDK channel joined the same
     * way tells first whether this machine delivers IPv6 multicast on lo, and the receive part is
     * skipped, saying so, where it does not.
     */
    @Test
    void ipv6MulticastOnLoopback() throws Exception {
        NetworkInterface lo = loopback();
        assumeTrue(TestUtil.ipv6Available(), "no IPv6 on this machine");
        int tag = 1 + (int) (ProcessHandle.current().pid() % 0xfff0);
        InetAddress group = Inet6Address.getByAddress(null, InetAddress.getByName("ff02::7:" + Integer.toHexString(tag)).getAddress(), lo);
        InetAddress ssmGroup = Inet6Address.getByAddress(null, InetAddress.getByName("ff32::8000:" + Integer.toHexString(tag)).getAddress(), lo);
        try (Poll poll = Poll.open(); UdpSocket receiver = UdpSocket.bind(new InetSocketAddress(InetAddress.getByName("::"), 0));
             DatagramChannel control = DatagramChannel.open(StandardProtocolFamily.INET6);
             DatagramChannel sender = DatagramChannel.open(StandardProtocolFamily.INET6)) {
            MembershipKey key = receiver.joinMulticast(group, lo);
            assertThat(key.group()).isEqualTo(group);
            MembershipKey ssm = receiver.joinMulticast(ssmGroup, lo, InetAddress.getByName("::1"));
            assertThat(ssm.sourceAddress()).isEqualTo(InetAddress.getByName("::1"));
            ssm.drop();
            assertThat(ssm.isValid()).isFalse();

            sender.setOption(StandardSocketOptions.IP_MULTICAST_IF, lo);
            sender.setOption(StandardSocketOptions.IP_MULTICAST_LOOP, true);
            control.bind(new InetSocketAddress(InetAddress.getByName("::"), 0)).configureBlocking(false);
            control.join(group, lo);
            byte[] v6 = "v6".getBytes(StandardCharsets.US_ASCII);
            try {
                sender.send(ByteBuffer.wrap(v6), new InetSocketAddress(group, ((InetSocketAddress) control.getLocalAddress()).getPort()));
            } catch (SocketException e) {
                assumeTrue(false, "this machine cannot send IPv6 multicast on lo (" + e.getMessage()
                        + "): Linux routes ff00::/8 on lo only if told to");
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            boolean delivered = false;
            while (!delivered && System.nanoTime() < deadline) {
                delivered = control.receive(ByteBuffer.allocate(8)) != null;
                if (!delivered) {
                    Thread.sleep(10);
                }
            }
            assumeTrue(delivered, "this machine does not deliver IPv6 multicast on lo (a JDK channel received nothing either)");

            Events events = Events.withCapacity(8);
            poll.registry().register(receiver, ID, Interest.READABLE);
            sender.send(ByteBuffer.wrap(v6), new InetSocketAddress(group, ((InetSocketAddress) receiver.localAddress()).getPort()));
            expectEvents(poll, events, expected(ID, READABLE));
            ByteBuffer got = ByteBuffer.allocate(64);
            assertThat(receiver.recvFrom(got)).isNotNull();
            assertThat(new String(got.array(), 0, got.position(), StandardCharsets.US_ASCII)).isEqualTo("v6");
            key.drop();
        }
    }

    @Test
    void loopAndTtlAreSocketOptionsOnBothBackends() throws IOException {
        try (UdpSocket socket = UdpSocket.bind(new InetSocketAddress("127.0.0.1", 0))) {
            socket.setMulticastTtl(3);
            assertThat(socket.multicastTtl()).isEqualTo(3);
            socket.setMulticastLoop(false);
            assertThat(socket.multicastLoop()).isFalse();
        }
    }
}
