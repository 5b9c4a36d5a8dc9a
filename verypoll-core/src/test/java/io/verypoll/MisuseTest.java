package io.verypoll;

import static io.verypoll.TestUtil.anyLocalAddress;
import static io.verypoll.TestUtil.assertReadWouldBlock;
import static io.verypoll.TestUtil.expectEvents;
import static io.verypoll.TestUtil.expectNoEvents;
import static io.verypoll.TestUtil.expected;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.verypoll.TestUtil.TcpPair;
import io.verypoll.net.Shutdown;
import io.verypoll.net.TcpListener;
import io.verypoll.net.TcpStream;
import io.verypoll.net.UdpSocket;
import io.verypoll.net.UnixListener;
import io.verypoll.net.UnixStream;
import io.verypoll.pipe.Pipe;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Misuse of every kind gets the documented exception (core-api.md, contract 8 and Registry), and
 * never a CancelledKeyException or ClosedSelectorException out of a source operation.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class MisuseTest {

    private static final Token T = new Token(1);

    private static void assertNpeNaming(String argument, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOf(NullPointerException.class).hasMessageContaining(argument);
    }

    @Test
    void nullArgumentsNameTheArgument() throws Exception {
        try (Poll poll = Poll.open(); UdpSocket udp = UdpSocket.bind(anyLocalAddress())) {
            Registry r = poll.registry();
            Events events = Events.withCapacity(4);

            assertNpeNaming("events", () -> poll.poll(null, Duration.ZERO));

            assertNpeNaming("source", () -> r.register(null, T, Interest.READABLE));
            assertNpeNaming("token", () -> r.register(udp, null, Interest.READABLE));
            assertNpeNaming("interests", () -> r.register(udp, T, null));
            assertNpeNaming("source", () -> r.reregister(null, T, Interest.READABLE));
            assertNpeNaming("source", () -> r.deregister(null));

            r.register(udp, T, Interest.READABLE);
            assertNpeNaming("token", () -> r.reregister(udp, null, Interest.READABLE));
            assertNpeNaming("interests", () -> r.reregister(udp, T, null));

            assertNpeNaming("registry", () -> new Waker(null, T));
            assertNpeNaming("token", () -> new Waker(r, null));

            assertNpeNaming("other", () -> Interest.READABLE.add(null));
            assertNpeNaming("other", () -> Interest.READABLE.remove(null));

            assertNpeNaming("channel", () -> ChannelSource.of(null));
            try (java.nio.channels.DatagramChannel dc = java.nio.channels.DatagramChannel.open()) {
                ChannelSource cs = ChannelSource.of(dc);
                assertNpeNaming("direction", () -> cs.wouldBlock(null));
            }

            // A null registry in a Source method is a null argument too.
            assertNpeNaming("registry", () -> udp.reregister(null, T, Interest.READABLE));

            // Nothing was registered or changed by the failed calls: one clean poll.
            poll.poll(events, Duration.ZERO);
        }
    }

    @Test
    void nullArgumentsOfNetSources() throws Exception {
        assertNpeNaming("address", () -> TcpListener.bind(null));
        assertNpeNaming("address", () -> TcpListener.bind(null, 16));
        assertNpeNaming("channel", () -> TcpListener.fromChannel(null));
        assertNpeNaming("address", () -> TcpStream.connect(null));
        assertNpeNaming("channel", () -> TcpStream.fromChannel(null));
        assertNpeNaming("address", () -> UdpSocket.bind(null));
        assertNpeNaming("channel", () -> UdpSocket.fromChannel(null));
        assertNpeNaming("path", () -> UnixListener.bind((java.nio.file.Path) null));
        assertNpeNaming("address", () -> UnixListener.bind((java.net.SocketAddress) null));
        assertNpeNaming("channel", () -> UnixListener.fromChannel(null));
        assertNpeNaming("path", () -> UnixStream.connect((java.nio.file.Path) null));
        assertNpeNaming("address", () -> UnixStream.connect((java.net.SocketAddress) null));
        assertNpeNaming("channel", () -> UnixStream.fromChannel(null));

        try (TcpPair pair = TcpPair.open()) {
            TcpStream s = pair.stream();
            assertNpeNaming("dst", () -> s.read((ByteBuffer) null));
            assertNpeNaming("dsts", () -> s.read((ByteBuffer[]) null));
            assertNpeNaming("src", () -> s.write((ByteBuffer) null));
            assertNpeNaming("srcs", () -> s.write((ByteBuffer[]) null));
            assertNpeNaming("how", () -> s.shutdown(null));
        }
        try (UdpSocket u = UdpSocket.bind(anyLocalAddress())) {
            assertNpeNaming("src", () -> u.sendTo(null, anyLocalAddress()));
            assertNpeNaming("target", () -> u.sendTo(ByteBuffer.allocate(1), null));
            assertNpeNaming("dst", () -> u.recvFrom(null));
            assertNpeNaming("peer", () -> u.connect(null));
            assertNpeNaming("src", () -> u.send(null));
            assertNpeNaming("dst", () -> u.recv(null));
        }
        Pipe pipe = Pipe.open();
        try (var sender = pipe.sender(); var receiver = pipe.receiver()) {
            assertNpeNaming("src", () -> sender.write(null));
            assertNpeNaming("dst", () -> receiver.read(null));
        }
    }

    @Test
    void registerTwiceIsAlreadyRegistered() throws Exception {
        try (Poll poll = Poll.open(); TcpListener listener = TcpListener.bind(anyLocalAddress())) {
            poll.registry().register(listener, new Token(0), Interest.READABLE);
            assertThatThrownBy(() -> poll.registry().register(listener, new Token(1), Interest.READABLE))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("already registered");
            // Same token, same interests: still a misuse.
            assertThatThrownBy(() -> poll.registry().register(listener, new Token(0), Interest.READABLE))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("already registered");
            // The failed call did not replace the registration.
            Events events = Events.withCapacity(4);
            try (TcpStream c = TcpStream.connect(listener.localAddress())) {
                var seen = expectEvents(poll, events, expected(new Token(0), Interest.READABLE));
                assertThat(seen).extracting(TestUtil.Snapshot::token).containsOnly(new Token(0));
            }
        }
    }

    @Test
    void reregisterOrDeregisterUnknownIsNotRegistered() throws Exception {
        try (Poll poll = Poll.open(); TcpListener listener = TcpListener.bind(anyLocalAddress())) {
            assertThatThrownBy(() -> poll.registry().reregister(listener, T, Interest.READABLE))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("not registered");
            assertThatThrownBy(() -> poll.registry().deregister(listener))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("not registered");
            poll.registry().register(listener, T, Interest.READABLE);
            poll.registry().deregister(listener);
            assertThatThrownBy(() -> poll.registry().deregister(listener))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("not registered");
            assertThatThrownBy(() -> poll.registry().reregister(listener, T, Interest.READABLE))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("not registered");
        }
    }

    @Test
    void reregisterOrDeregisterWithAnotherPollIsNotRegistered() throws Exception {
        try (Poll poll1 = Poll.open(); Poll poll2 = Poll.open(); UdpSocket udp = UdpSocket.bind(anyLocalAddress())) {
            poll1.registry().register(udp, T, Interest.READABLE);
            assertThatThrownBy(() -> poll2.registry().reregister(udp, T, Interest.WRITABLE))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("not registered");
            assertThatThrownBy(() -> poll2.registry().deregister(udp))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("not registered");
            // Still registered with poll1, unchanged (READABLE only: no writable event).
            Events events = Events.withCapacity(4);
            expectNoEvents(poll1, events);
        }
    }

    @Test
    void eachSourceTypeEnforcesTheRules() throws Exception {
        try (Poll poll = Poll.open()) {
            Pipe pipe = Pipe.open();
            try (TcpPair pair = TcpPair.open();
                 UdpSocket udp = UdpSocket.bind(anyLocalAddress());
                 var sender = pipe.sender(); var receiver = pipe.receiver();
                 java.nio.channels.DatagramChannel dc = java.nio.channels.DatagramChannel.open()) {
                Source[] sources = {pair.stream(), udp, sender, receiver, ChannelSource.of(dc)};
                long t = 0;
                for (Source s : sources) {
                    Token token = new Token(t++);
                    assertThatThrownBy(() -> poll.registry().deregister(s)).as("%s", s)
                            .isInstanceOf(IllegalStateException.class).hasMessageContaining("not registered");
                    assertThatThrownBy(() -> poll.registry().reregister(s, token, Interest.READABLE)).as("%s", s)
                            .isInstanceOf(IllegalStateException.class).hasMessageContaining("not registered");
                    poll.registry().register(s, token, Interest.READABLE);
                    assertThatThrownBy(() -> poll.registry().register(s, token, Interest.READABLE)).as("%s", s)
                            .isInstanceOf(IllegalStateException.class).hasMessageContaining("already registered");
                }
            }
        }
    }

    @Test
    void closedSourceIsClosedChannelException() throws Exception {
        try (Poll poll = Poll.open()) {
            TcpListener listener = TcpListener.bind(anyLocalAddress());
            listener.close();
            assertThatThrownBy(() -> poll.registry().register(listener, T, Interest.READABLE))
                    .isInstanceOf(ClosedChannelException.class);

            UdpSocket udp = UdpSocket.bind(anyLocalAddress());
            poll.registry().register(udp, T, Interest.READABLE);
            udp.close();
            assertThatThrownBy(() -> poll.registry().reregister(udp, T, Interest.WRITABLE))
                    .isInstanceOf(ClosedChannelException.class);
            assertThatThrownBy(() -> poll.registry().deregister(udp))
                    .isInstanceOf(ClosedChannelException.class);

            TcpStream stream;
            try (TcpPair pair = TcpPair.open()) {
                stream = pair.stream();
            }
            assertThatThrownBy(() -> stream.read(ByteBuffer.allocate(4))).isInstanceOf(ClosedChannelException.class);
            assertThatThrownBy(() -> stream.write(ByteBuffer.allocate(4))).isInstanceOf(ClosedChannelException.class);
            assertThatThrownBy(() -> poll.registry().register(stream, T, Interest.READABLE))
                    .isInstanceOf(ClosedChannelException.class);
            // close is idempotent
            assertThatCode(stream::close).doesNotThrowAnyException();
        }
    }

    @Test
    void closedPollIsClosedSelectorException() throws Exception {
        Poll poll = Poll.open();
        Registry registry = poll.registry();
        Registry clone = registry.tryClone();
        try (UdpSocket registered = UdpSocket.bind(anyLocalAddress());
             UdpSocket fresh = UdpSocket.bind(anyLocalAddress())) {
            registry.register(registered, T, Interest.READABLE);
            poll.close();
            Events events = Events.withCapacity(4);
            assertThatThrownBy(() -> poll.poll(events, Duration.ZERO)).isInstanceOf(ClosedSelectorException.class);
            assertThatThrownBy(() -> poll.poll(events, Duration.ofSeconds(5))).isInstanceOf(ClosedSelectorException.class);
            assertThatThrownBy(() -> poll.poll(events, null)).isInstanceOf(ClosedSelectorException.class);
            assertThatThrownBy(() -> registry.register(fresh, T, Interest.READABLE))
                    .isInstanceOf(ClosedSelectorException.class);
            assertThatThrownBy(() -> clone.register(fresh, T, Interest.READABLE))
                    .isInstanceOf(ClosedSelectorException.class);
            assertThatThrownBy(() -> registry.reregister(registered, T, Interest.WRITABLE))
                    .isInstanceOf(ClosedSelectorException.class);
            assertThatThrownBy(() -> registry.deregister(registered))
                    .isInstanceOf(ClosedSelectorException.class);
            assertThatThrownBy(registry::tryClone).isInstanceOf(ClosedSelectorException.class);
            assertThatThrownBy(() -> new Waker(registry, new Token(9))).isInstanceOf(ClosedSelectorException.class);
            // The sources stay usable; their would-block path must not leak the closed selector.
            assertThat(registered.recvFrom(ByteBuffer.allocate(8))).isNull();
            assertThat(registered.recv(ByteBuffer.allocate(8))).isEqualTo(-1);
            assertThatCode(registered::close).doesNotThrowAnyException();
        }
    }

    /**
     * The JDK throws CancelledKeyException when a channel is registered again before the next
     * select after a cancel; verypoll must hide that.
     */
    @Test
    void noCancelledKeyExceptionFromRegisterAfterDeregister() throws Exception {
        try (Poll poll = Poll.open(); TcpPair pair = TcpPair.open()) {
            Events events = Events.withCapacity(8);
            TcpStream s = pair.stream();
            for (int i = 0; i < 5; i++) {
                poll.registry().register(s, T, Interest.READABLE.add(Interest.WRITABLE));
                poll.registry().deregister(s);
            }
            // I/O that would block after deregister: re-arming a cancelled key must not throw.
            assertReadWouldBlock(s);
            poll.registry().register(s, T, Interest.READABLE);
            poll.registry().reregister(s, T, Interest.READABLE.add(Interest.WRITABLE));
            expectEvents(poll, events, expected(T, Interest.WRITABLE));
            poll.registry().deregister(s);
            assertReadWouldBlock(s);
            s.shutdown(Shutdown.WRITE);
            expectNoEvents(poll, events);
        }
    }

    /** A source closed while registered, then operated on: ClosedChannelException, never a CancelledKeyException. */
    @Test
    void operationsAfterCloseOfRegisteredSource() throws Exception {
        try (Poll poll = Poll.open()) {
            TcpPair pair = TcpPair.open();
            TcpStream s = pair.stream();
            poll.registry().register(s, T, Interest.READABLE);
            pair.close();
            assertThatThrownBy(() -> s.read(ByteBuffer.allocate(8))).isInstanceOf(ClosedChannelException.class);
            assertThatThrownBy(() -> s.shutdown(Shutdown.BOTH)).isInstanceOf(ClosedChannelException.class);
            assertThatThrownBy(() -> poll.registry().reregister(s, T, Interest.WRITABLE))
                    .isInstanceOf(ClosedChannelException.class);
            Events events = Events.withCapacity(8);
            expectNoEvents(poll, events);
        }
    }
}
