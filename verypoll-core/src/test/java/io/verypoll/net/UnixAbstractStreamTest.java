package io.verypoll.net;

import static io.verypoll.TestUtil.DATA1;
import static io.verypoll.TestUtil.DATA2;
import static io.verypoll.TestUtil.READABLE;
import static io.verypoll.TestUtil.checkedWrite;
import static io.verypoll.TestUtil.expectEvents;
import static io.verypoll.TestUtil.expectRead;
import static io.verypoll.TestUtil.expected;
import static io.verypoll.TestUtil.nio;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.verypoll.Events;
import io.verypoll.Interest;
import io.verypoll.Poll;
import io.verypoll.Token;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.UnsupportedAddressTypeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link UnixListener} and {@link UnixStream} on a name in Linux's abstract namespace ({@link
 * UnixAbstractAddress}): epoll only; NIO refuses, naming the epoll backend. Runs on both.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class UnixAbstractStreamTest {
    private static final Token SERVER = new Token(1);
    private static final Token ACCEPTED = new Token(2);
    private static final Token CLIENT = new Token(3);

    @TempDir
    Path dir;

    private static UnixAbstractAddress uniqueName(String what) {
        return UnixAbstractAddress.of("verypoll-test-" + ProcessHandle.current().pid() + "-"
                + ThreadLocalRandom.current().nextInt(1 << 30) + "-" + what);
    }

    @Test
    void nioRefusesAbstractNamesNamingTheEpollBackend() throws Exception {
        if (!nio()) {
            return; // epoll: the tests below
        }
        UnixAbstractAddress name = uniqueName("nio");
        assertThatThrownBy(() -> UnixListener.bind(name)).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("UnixListener.bind with a UnixAbstractAddress needs the epoll backend (-Dverypoll.backend=epoll");
        assertThatThrownBy(() -> UnixStream.connect(name)).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("UnixStream.connect with a UnixAbstractAddress needs the epoll backend (-Dverypoll.backend=epoll");
    }

    @Test
    void onlyUnixAddressesAreTaken() {
        assertThatThrownBy(() -> UnixListener.bind(new InetSocketAddress(0))).isInstanceOf(UnsupportedAddressTypeException.class);
        assertThatThrownBy(() -> UnixStream.connect(new InetSocketAddress(1))).isInstanceOf(UnsupportedAddressTypeException.class);
        assertThatThrownBy(() -> UnixListener.bind((java.net.SocketAddress) null)).isInstanceOf(NullPointerException.class);
    }

    /** Both backends: the SocketAddress forms take a socket file as the Path forms do. */
    @Test
    void aSocketFileThroughTheAddressForms() throws Exception {
        UnixDomainSocketAddress file = UnixDomainSocketAddress.of(dir.resolve("s.sock"));
        try (Poll poll = Poll.open(); UnixListener listener = UnixListener.bind(file); UnixStream client = UnixStream.connect(file)) {
            assertThat(listener.localAddress()).isEqualTo(file);
            Events events = Events.withCapacity(8);
            poll.registry().register(listener, SERVER, Interest.READABLE);
            expectEvents(poll, events, expected(SERVER, READABLE));
            try (UnixStream accepted = listener.accept()) {
                assertThat(accepted).isNotNull();
                awaitConnected(poll, events, client);
                assertThat(client.peerAddress()).isEqualTo(file);
            }
        }
    }

    @Test
    void listenerAndStreamOverAnAbstractName() throws Exception {
        if (nio()) {
            return;
        }
        UnixAbstractAddress name = uniqueName("stream");
        try (Poll poll = Poll.open(); UnixListener listener = UnixListener.bind(name)) {
            Events events = Events.withCapacity(8);
            assertThat(listener.localAddress()).as("round trip").isEqualTo(name);
            assertThat(abstractSockets()).as("in the abstract namespace, with the name's exact length")
                    .contains("@" + new String(name.name(), StandardCharsets.US_ASCII));
            assertThatThrownBy(() -> UnixListener.bind(name)).as("the name is taken").isInstanceOf(BindException.class);

            poll.registry().register(listener, SERVER, Interest.READABLE);
            try (UnixStream client = UnixStream.connect(name)) {
                expectEvents(poll, events, expected(SERVER, READABLE));
                try (UnixStream accepted = listener.accept()) {
                    assertThat(accepted).isNotNull();
                    awaitConnected(poll, events, client);
                    assertThat(client.peerAddress()).isEqualTo(name);
                    assertThat(accepted.localAddress()).isEqualTo(name);
                    assertThat(client.localAddress()).as("an unbound client is unnamed").isEqualTo(UnixDomainSocketAddress.of(""));

                    poll.registry().register(accepted, ACCEPTED, Interest.READABLE);
                    checkedWrite(client, DATA1);
                    expectEvents(poll, events, expected(ACCEPTED, READABLE));
                    expectRead(accepted, DATA1);
                    checkedWrite(accepted, DATA2);
                    expectEvents(poll, events, expected(CLIENT, READABLE));
                    expectRead(client, DATA2);
                }
            }
        }
        try (UnixListener again = UnixListener.bind(name)) {
            assertThat(again.localAddress()).as("free again once closed").isEqualTo(name);
        }
    }

    /** No file anywhere: the working directory and the temporary directory hold nothing of that name. */
    @Test
    void anAbstractNameMakesNoFile() throws Exception {
        if (nio()) {
            return;
        }
        UnixAbstractAddress name = uniqueName("nofile");
        String text = new String(name.name(), StandardCharsets.US_ASCII);
        try (UnixListener listener = UnixListener.bind(name)) {
            assertThat(listener.localAddress()).isEqualTo(name);
            for (Path where : List.of(Path.of("").toAbsolutePath(), Path.of(System.getProperty("java.io.tmpdir")))) {
                try (var entries = Files.list(where)) {
                    assertThat(entries.map(p -> p.getFileName().toString())).as("files in " + where)
                            .noneMatch(file -> file.contains(text));
                }
            }
        }
    }

    /**
     * The length counts the name exactly: a name with a NUL inside and one that is a prefix of
     * another are names of their own.
     */
    @Test
    void namesAreTheirExactBytes() throws Exception {
        if (nio()) {
            return;
        }
        UnixAbstractAddress name = uniqueName("exact");
        byte[] bytes = name.name();
        byte[] withNul = java.util.Arrays.copyOf(bytes, bytes.length + 2);
        withNul[bytes.length + 1] = 'x';
        UnixAbstractAddress nulInside = UnixAbstractAddress.of(withNul);
        UnixAbstractAddress prefix = UnixAbstractAddress.of(java.util.Arrays.copyOf(bytes, bytes.length - 1));
        try (Poll poll = Poll.open(); UnixListener a = UnixListener.bind(name); UnixListener b = UnixListener.bind(nulInside)) {
            assertThat(b.localAddress()).isEqualTo(nulInside);
            Events events = Events.withCapacity(8);
            poll.registry().register(b, SERVER, Interest.READABLE);
            try (UnixStream client = UnixStream.connect(nulInside)) {
                expectEvents(poll, events, expected(SERVER, READABLE));
                try (UnixStream accepted = b.accept()) {
                    assertThat(accepted).as("reached the listener of the name with the NUL").isNotNull();
                    assertThat(a.accept()).as("not the other one").isNull();
                    awaitConnected(poll, events, client);
                    assertThat(client.peerAddress()).isEqualTo(nulInside);
                }
            }
            assertThatThrownBy(() -> UnixStream.connect(prefix)).as("no listener has the shorter name")
                    .isInstanceOf(IOException.class).hasMessageContaining("refused");
        }
    }

    /** A Unix connect is usually done at once; if not, its writable event says so. */
    private static void awaitConnected(Poll poll, Events events, UnixStream client) throws IOException {
        poll.registry().register(client, CLIENT, Interest.READABLE.add(Interest.WRITABLE));
        expectEvents(poll, events, expected(CLIENT, Interest.WRITABLE));
    }

    /** The names in {@code /proc/net/unix} that start with @ (Linux). */
    private static List<String> abstractSockets() throws IOException {
        return Files.readAllLines(Path.of("/proc/net/unix")).stream()
                .map(line -> line.substring(line.lastIndexOf(' ') + 1))
                .filter(path -> path.startsWith("@"))
                .toList();
    }
}
