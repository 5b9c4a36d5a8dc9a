package io.verypoll.net;

import static io.verypoll.TestUtil.DATA1;
import static io.verypoll.TestUtil.DATA2;
import static io.verypoll.TestUtil.READABLE;
import static io.verypoll.TestUtil.expectEvents;
import static io.verypoll.TestUtil.expected;
import static io.verypoll.TestUtil.nio;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.verypoll.Events;
import io.verypoll.Interest;
import io.verypoll.Poll;
import io.verypoll.TestUtil;
import io.verypoll.Token;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.UnsupportedAddressTypeException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * mio's {@code UnixDatagram} tests, on the epoll backend: bound to a file, to an abstract name,
 * unbound, a pair, connected. On NIO every factory throws {@link UnsupportedOperationException}
 * naming the epoll backend (the JDK has no Unix-domain datagram channel).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class UnixDatagramTest {
    private static final Token SERVER = new Token(1);
    private static final Token CLIENT = new Token(2);

    @TempDir
    Path dir;

    private Poll poll;
    private final Events events = Events.withCapacity(16);

    @BeforeEach
    void onlyOnEpoll() throws IOException {
        if (nio()) {
            for (TestUtil.IoCall<?> call : new TestUtil.IoCall<?>[] {
                () -> UnixDatagram.bind(dir.resolve("x.sock")), UnixDatagram::unbound, UnixDatagram::pair,
                () -> UnixDatagram.bind(UnixAbstractAddress.of("verypoll-nio"))}) {
                assertThatThrownBy(call::call).isInstanceOf(UnsupportedOperationException.class)
                        .hasMessageContaining("UnixDatagram needs the epoll backend")
                        .hasMessageContaining("no Unix-domain datagram channel");
            }
            org.junit.jupiter.api.Assumptions.abort("the NIO backend has no UnixDatagram (its refusal is checked above)");
        }
        poll = Poll.open();
    }

    @AfterEach
    void closePoll() throws IOException {
        if (poll != null) {
            poll.close();
        }
    }

    private static byte[] received(ByteBuffer b) {
        return Arrays.copyOf(b.array(), b.position());
    }

    @Test
    void boundToFilesBothWays() throws Exception {
        Path serverPath = dir.resolve("server.sock");
        Path clientPath = dir.resolve("client.sock");
        try (UnixDatagram server = UnixDatagram.bind(serverPath); UnixDatagram client = UnixDatagram.bind(clientPath)) {
            assertThat(server.localAddress()).isEqualTo(UnixDomainSocketAddress.of(serverPath));
            poll.registry().register(server, SERVER, Interest.READABLE);
            poll.registry().register(client, CLIENT, Interest.READABLE);
            assertThat(server.recvFrom(ByteBuffer.allocate(64))).as("would block").isNull();

            assertThat(client.sendTo(ByteBuffer.wrap(DATA1), UnixDomainSocketAddress.of(serverPath))).isEqualTo(DATA1.length);
            expectEvents(poll, events, expected(SERVER, READABLE));
            ByteBuffer got = ByteBuffer.allocate(64);
            SocketAddress from = server.recvFrom(got);
            assertThat(from).isEqualTo(UnixDomainSocketAddress.of(clientPath));
            assertThat(received(got)).isEqualTo(DATA1);
            assertThat(server.recvFrom(ByteBuffer.allocate(64))).isNull();

            server.sendTo(ByteBuffer.wrap(DATA2), from);
            expectEvents(poll, events, expected(CLIENT, READABLE));
            ByteBuffer reply = ByteBuffer.allocate(64);
            assertThat(client.recv(reply)).isEqualTo(DATA2.length);
            assertThat(received(reply)).isEqualTo(DATA2);
            assertThat(client.recv(ByteBuffer.allocate(8))).isEqualTo(-1);
        }
        assertThat(serverPath).as("closing does not delete the socket file (as mio)").exists();
        assertThatThrownBy(() -> UnixDatagram.bind(serverPath)).isInstanceOf(BindException.class);
    }

    @Test
    void unboundSenderIsUnnamed() throws Exception {
        Path serverPath = dir.resolve("server.sock");
        try (UnixDatagram server = UnixDatagram.bind(serverPath); UnixDatagram client = UnixDatagram.unbound()) {
            assertThat(client.localAddress()).isEqualTo(UnixDomainSocketAddress.of(""));
            assertThatThrownBy(client::peerAddress).isInstanceOf(NotYetConnectedException.class);
            assertThatThrownBy(() -> client.send(ByteBuffer.wrap(DATA1))).isInstanceOf(NotYetConnectedException.class);
            poll.registry().register(server, SERVER, Interest.READABLE);
            client.sendTo(ByteBuffer.wrap(DATA1), UnixDomainSocketAddress.of(serverPath));
            expectEvents(poll, events, expected(SERVER, READABLE));
            ByteBuffer got = ByteBuffer.allocate(64);
            assertThat(server.recvFrom(got)).isEqualTo(UnixDomainSocketAddress.of(""));
            assertThat(received(got)).isEqualTo(DATA1);
        }
    }

    @Test
    void connectedSocketsSendAndRecv() throws Exception {
        Path serverPath = dir.resolve("server.sock");
        Path clientPath = dir.resolve("client.sock");
        try (UnixDatagram server = UnixDatagram.bind(serverPath); UnixDatagram client = UnixDatagram.bind(clientPath)) {
            client.connect(serverPath);
            server.connect(UnixDomainSocketAddress.of(clientPath));
            assertThat(client.peerAddress()).isEqualTo(UnixDomainSocketAddress.of(serverPath));
            poll.registry().register(server, SERVER, Interest.READABLE);
            poll.registry().register(client, CLIENT, Interest.READABLE.add(Interest.WRITABLE));
            expectEvents(poll, events, expected(CLIENT, io.verypoll.TestUtil.WRITABLE));
            assertThat(client.send(ByteBuffer.wrap(DATA1))).isEqualTo(DATA1.length);
            expectEvents(poll, events, expected(SERVER, READABLE));
            ByteBuffer got = ByteBuffer.allocate(64);
            assertThat(server.recv(got)).isEqualTo(DATA1.length);
            assertThat(received(got)).isEqualTo(DATA1);
            assertThat(server.recv(ByteBuffer.allocate(8))).as("drained: reading is watched again").isEqualTo(-1);
            assertThat(server.send(ByteBuffer.wrap(DATA2))).isEqualTo(DATA2.length);
            expectEvents(poll, events, expected(CLIENT, READABLE));
            assertThat(client.recv(ByteBuffer.allocate(64))).isEqualTo(DATA2.length);
            // An empty datagram is a datagram.
            assertThat(client.send(ByteBuffer.allocate(0))).isZero();
            expectEvents(poll, events, expected(SERVER, READABLE));
            assertThat(server.recv(ByteBuffer.allocate(8))).isZero();
        }
    }

    @Test
    void aPairIsConnectedBothWays() throws Exception {
        UnixDatagram[] pair = UnixDatagram.pair();
        try (UnixDatagram a = pair[0]; UnixDatagram b = pair[1]) {
            assertThat(a.peerAddress()).isEqualTo(UnixDomainSocketAddress.of(""));
            poll.registry().register(a, CLIENT, Interest.READABLE);
            poll.registry().register(b, SERVER, Interest.READABLE);
            a.send(ByteBuffer.wrap(DATA1));
            expectEvents(poll, events, expected(SERVER, READABLE));
            ByteBuffer got = ByteBuffer.allocate(64);
            assertThat(b.recv(got)).isEqualTo(DATA1.length);
            assertThat(received(got)).isEqualTo(DATA1);
            b.send(ByteBuffer.wrap(DATA2));
            expectEvents(poll, events, expected(CLIENT, READABLE));
            assertThat(a.recv(ByteBuffer.allocate(64))).isEqualTo(DATA2.length);
        }
    }

    @Test
    void abstractNamesHaveNoFileAndAreFreedByClose() throws Exception {
        String tag = "verypoll-test-" + ProcessHandle.current().pid() + "-" + ThreadLocalRandom.current().nextInt(1 << 30);
        UnixAbstractAddress serverName = UnixAbstractAddress.of(tag + "-server");
        UnixAbstractAddress clientName = UnixAbstractAddress.of(tag + "-client");
        try (UnixDatagram server = UnixDatagram.bind(serverName); UnixDatagram client = UnixDatagram.bind(clientName)) {
            assertThat(server.localAddress()).isEqualTo(serverName);
            assertThatThrownBy(() -> UnixDatagram.bind(serverName)).as("the name is taken").isInstanceOf(BindException.class);
            poll.registry().register(server, SERVER, Interest.READABLE);
            client.sendTo(ByteBuffer.wrap(DATA1), serverName);
            expectEvents(poll, events, expected(SERVER, READABLE));
            ByteBuffer got = ByteBuffer.allocate(64);
            assertThat(server.recvFrom(got)).isEqualTo(clientName);
            assertThat(received(got)).isEqualTo(DATA1);
            client.connect(serverName);
            assertThat(client.peerAddress()).isEqualTo(serverName);
        }
        try (UnixDatagram again = UnixDatagram.bind(serverName)) {
            assertThat(again.localAddress()).as("free again once closed").isEqualTo(serverName);
        }
    }

    /** The sender cache compares whole addresses: long paths that differ only at the end are two senders. */
    @Test
    void sendersWithLongPathsThatDifferAtTheEndAreTold() throws Exception {
        String longName = "a-socket-file-with-a-rather-long-name-for-the-test-";
        Path serverPath = dir.resolve("s.sock");
        Path first = dir.resolve(longName + "1");
        Path second = dir.resolve(longName + "2");
        try (UnixDatagram server = UnixDatagram.bind(serverPath); UnixDatagram one = UnixDatagram.bind(first);
             UnixDatagram two = UnixDatagram.bind(second)) {
            for (int round = 0; round < 3; round++) {
                one.sendTo(ByteBuffer.wrap(new byte[] {1}), UnixDomainSocketAddress.of(serverPath));
                two.sendTo(ByteBuffer.wrap(new byte[] {2}), UnixDomainSocketAddress.of(serverPath));
                assertThat(receiveFrom(server)).isEqualTo(UnixDomainSocketAddress.of(first));
                assertThat(receiveFrom(server)).isEqualTo(UnixDomainSocketAddress.of(second));
            }
        }
    }

    private SocketAddress receiveFrom(UnixDatagram server) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        SocketAddress from;
        while ((from = server.recvFrom(ByteBuffer.allocate(8))) == null && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        return from;
    }

    @Test
    void errors() throws Exception {
        try (UnixDatagram socket = UnixDatagram.unbound()) {
            assertThatThrownBy(() -> socket.sendTo(ByteBuffer.wrap(DATA1), UnixDomainSocketAddress.of(dir.resolve("nobody"))))
                    .isInstanceOf(IOException.class);
            assertThatThrownBy(() -> socket.sendTo(ByteBuffer.wrap(DATA1), new InetSocketAddress("127.0.0.1", 9)))
                    .isInstanceOf(UnsupportedAddressTypeException.class);
            assertThatThrownBy(() -> UnixDatagram.bind(new InetSocketAddress("127.0.0.1", 0)))
                    .isInstanceOf(UnsupportedAddressTypeException.class);
        }
    }
}
