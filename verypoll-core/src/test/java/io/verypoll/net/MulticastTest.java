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
import io.verypoll.Token;
import java.io.IOException;
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
