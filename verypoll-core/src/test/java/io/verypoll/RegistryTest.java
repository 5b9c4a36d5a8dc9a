package io.verypoll;

import static io.verypoll.TestUtil.READABLE;
import static io.verypoll.TestUtil.anyLocalAddress;
import static io.verypoll.TestUtil.expectEvents;
import static io.verypoll.TestUtil.expectNoEvents;
import static io.verypoll.TestUtil.expected;
import static io.verypoll.TestUtil.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.verypoll.TestUtil.Snapshot;
import io.verypoll.net.TcpListener;
import io.verypoll.net.TcpStream;
import io.verypoll.net.UdpSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** mio's registering.rs: register / reregister / deregister flows. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class RegistryTest {

    private static final Token SERVER = new Token(0);
    private static final Token CLIENT = new Token(1);

    /**
     * mio's register_deregister: accept and write, see the client readable, switch it to writable
     * with reregister, then deregister both: no more events.
     */
    @Test
    void registerDeregister() throws Exception {
        try (Poll poll = Poll.open(); TcpListener server = TcpListener.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(1024);
            poll.registry().register(server, SERVER, Interest.READABLE);
            TcpStream client = TcpStream.connect(server.localAddress());
            poll.registry().register(client, CLIENT, Interest.READABLE);
            TcpStream accepted = null;
            int state = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            loop:
            while (System.nanoTime() < deadline) {
                poll.poll(events, Duration.ofSeconds(1));
                for (Event event : events) {
                    if (event.isReadable()) {
                        if (event.token().equals(SERVER)) {
                            TcpStream s = server.accept();
                            if (s != null) {
                                accepted = s;
                                accepted.write(ByteBuffer.wrap("foobar".getBytes()));
                            }
                        } else if (event.token().equals(CLIENT)) {
                            assertThat(state).isZero();
                            state = 1;
                            poll.registry().reregister(client, CLIENT, Interest.WRITABLE);
                        } else {
                            throw new AssertionError("unexpected token " + event.token());
                        }
                    }
                    if (event.isWritable()) {
                        assertThat(event.token()).isEqualTo(CLIENT);
                        assertThat(state).isEqualTo(1);
                        state = 2;
                        poll.registry().deregister(client);
                        poll.registry().deregister(server);
                        break loop;
                    }
                }
            }
            assertThat(state).isEqualTo(2);
            poll.poll(events, Duration.ofMillis(100));
            assertThat(snapshot(events)).isEmpty();
            client.close();
            if (accepted != null) accepted.close();
        }
    }

    /** reregister replaces the interests, even before any poll saw the old ones. */
    @Test
    void reregisterDifferentInterestWithoutPoll() throws Exception {
        try (Poll poll = Poll.open(); TcpListener l = TcpListener.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(1024);
            poll.registry().register(l, new Token(0), Interest.READABLE);
            // A blocking connect returns once the connection is queued on the listener.
            try (java.nio.channels.SocketChannel s1 = java.nio.channels.SocketChannel.open(l.localAddress())) {
                poll.registry().reregister(l, new Token(0), Interest.WRITABLE);
                poll.poll(events, Duration.ofMillis(200));
                assertThat(snapshot(events)).isEmpty();
                // Readable again: the queued connection is reported.
                poll.registry().reregister(l, new Token(0), Interest.READABLE);
                expectEvents(poll, events, expected(new Token(0), READABLE));
            }
        }
    }

    /** mio's tcp/udp_register_multiple_event_loops: a source registers with one Poll only. */
    @Test
    void registerWithSecondPollIsAlreadyRegistered() throws Exception {
        try (Poll poll1 = Poll.open(); Poll poll2 = Poll.open();
             TcpListener listener = TcpListener.bind(anyLocalAddress());
             UdpSocket socket = UdpSocket.bind(anyLocalAddress())) {
            Interest both = Interest.READABLE.add(Interest.WRITABLE);
            poll1.registry().register(listener, new Token(0), both);
            assertThatThrownBy(() -> poll2.registry().register(listener, new Token(0), both))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("already registered");

            TcpStream stream = TcpStream.connect(listener.localAddress());
            poll1.registry().register(stream, new Token(1), both);
            assertThatThrownBy(() -> poll2.registry().register(stream, new Token(1), both))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("already registered");
            stream.close();

            poll1.registry().register(socket, new Token(2), both);
            assertThatThrownBy(() -> poll2.registry().register(socket, new Token(2), both))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("already registered");
        }
    }

    /** After deregister, a source may register with another Poll. */
    @Test
    void moveToAnotherPollAfterDeregister() throws Exception {
        try (Poll poll1 = Poll.open(); Poll poll2 = Poll.open();
             UdpSocket socket = UdpSocket.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(8);
            poll1.registry().register(socket, new Token(1), Interest.WRITABLE);
            poll1.registry().deregister(socket);
            poll2.registry().register(socket, new Token(2), Interest.WRITABLE);
            expectEvents(poll2, events, expected(new Token(2), Interest.WRITABLE));
            expectNoEvents(poll1, events);
        }
    }

    /** mio's registering_after_deregistering: register, deregister, register again, no poll between. */
    @Test
    void registeringAfterDeregistering() throws Exception {
        try (Poll poll = Poll.open(); TcpListener server = TcpListener.bind(anyLocalAddress())) {
            Events events = Events.withCapacity(8);
            poll.registry().register(server, SERVER, Interest.READABLE);
            poll.registry().deregister(server);
            poll.registry().register(server, SERVER, Interest.READABLE);
            poll.poll(events, Duration.ofMillis(100));
            assertThat(events.isEmpty()).isTrue();
            // And the registration is live.
            try (TcpStream c = TcpStream.connect(server.localAddress())) {
                expectEvents(poll, events, expected(SERVER, READABLE));
            }
        }
    }

    /** Registering again after deregister with a ready source gives a fresh event. */
    @Test
    void reregisterRearmsBothDirections() throws Exception {
        try (Poll poll = Poll.open(); TestUtil.TcpPair pair = TestUtil.TcpPair.open()) {
            Events events = Events.withCapacity(8);
            Interest both = Interest.READABLE.add(Interest.WRITABLE);
            poll.registry().register(pair.stream(), CLIENT, both);
            expectEvents(poll, events, expected(CLIENT, Interest.WRITABLE));
            expectNoEvents(poll, events);
            // reregister re-arms: writable is reported again.
            poll.registry().reregister(pair.stream(), CLIENT, both);
            expectEvents(poll, events, expected(CLIENT, Interest.WRITABLE));
            expectNoEvents(poll, events);
            // A new token on reregister is used from then on.
            poll.registry().reregister(pair.stream(), SERVER, both);
            List<Snapshot> seen = expectEvents(poll, events, expected(SERVER, Interest.WRITABLE));
            assertThat(seen).extracting(Snapshot::token).containsOnly(SERVER);
        }
    }
}
