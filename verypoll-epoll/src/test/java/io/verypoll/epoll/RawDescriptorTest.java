package io.verypoll.epoll;

import static io.verypoll.TestUtil.READABLE;
import static io.verypoll.TestUtil.expectEvents;
import static io.verypoll.TestUtil.expectNoEvents;
import static io.verypoll.TestUtil.expected;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.verypoll.Events;
import io.verypoll.FdSource;
import io.verypoll.Interest;
import io.verypoll.Poll;
import io.verypoll.Token;
import io.verypoll.net.TcpListener;
import io.verypoll.net.TcpStream;
import io.verypoll.net.UdpSocket;
import io.verypoll.pipe.Pipe;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What raw descriptors mean for the API: FdSource works (mio's SourceFd), and what needs a JDK
 * channel throws UnsupportedOperationException naming the NIO backend.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class RawDescriptorTest {
    private static final Token ID = new Token(3);

    /** A descriptor someone else reads: events, and wouldBlock re-arms. */
    @Test
    void fdSourceWatchesARawDescriptor() throws Exception {
        Pipe pipe = Pipe.open();
        try (Poll poll = Poll.open(); var sender = pipe.sender(); var receiver = pipe.receiver()) {
            FdSource raw = FdSource.of(CloseRaceTest.fdOf(receiver));
            assertThat(raw.fd()).isEqualTo(CloseRaceTest.fdOf(receiver));
            Events events = Events.withCapacity(4);
            poll.registry().register(raw, ID, Interest.READABLE);
            expectNoEvents(poll, events);
            sender.write(ByteBuffer.wrap(new byte[] {1, 2}));
            expectEvents(poll, events, expected(ID, READABLE));
            // Read "outside" (through the pipe's own source), and do not say so: silent.
            assertThat(receiver.read(ByteBuffer.allocate(1))).isEqualTo(1);
            sender.write(ByteBuffer.wrap(new byte[] {3}));
            expectNoEvents(poll, events);
            raw.wouldBlock(Interest.READABLE); // not true (bytes are left), and so reported again
            expectEvents(poll, events, expected(ID, READABLE));
            poll.registry().deregister(raw);
            assertThat(receiver.isOpen()).as("the descriptor stays its owner's").isTrue();
        }
    }

    @Test
    void whatNeedsAJdkChannelSaysSo() throws Exception {
        try (TcpListener listener = TcpListener.bind(new InetSocketAddress("127.0.0.1", 0));
                TcpStream stream = TcpStream.connect(listener.localAddress());
                UdpSocket udp = UdpSocket.bind(new InetSocketAddress("127.0.0.1", 0));
                ServerSocketChannel channel = ServerSocketChannel.open()) {
            assertThatThrownBy(listener::channel).isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("nio backend");
            assertThatThrownBy(stream::channel).isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("nio backend");
            assertThatThrownBy(udp::channel).isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("nio backend");
            assertThatThrownBy(() -> TcpListener.fromChannel(channel))
                    .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("nio backend");
            NetworkInterface loopback = NetworkInterface.getByInetAddress(InetAddress.getLoopbackAddress());
            assertThatThrownBy(() -> udp.joinMulticast(InetAddress.getByName("239.1.2.3"), loopback))
                    .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("nio backend");
        }
    }
}
