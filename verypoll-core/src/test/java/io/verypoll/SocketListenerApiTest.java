package io.verypoll;

import static io.verypoll.TestUtil.DATA1;
import static io.verypoll.TestUtil.READABLE;
import static io.verypoll.TestUtil.buf;
import static io.verypoll.TestUtil.checkedWrite;
import static io.verypoll.TestUtil.expectEvents;
import static io.verypoll.TestUtil.expectRead;
import static io.verypoll.TestUtil.expected;
import static org.assertj.core.api.Assertions.assertThat;

import io.verypoll.net.SocketListener;
import io.verypoll.net.SocketStream;
import io.verypoll.net.TcpListener;
import io.verypoll.net.TcpStream;
import io.verypoll.net.UnixListener;
import io.verypoll.net.UnixStream;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Code outside {@code io.verypoll.net} holds TCP and Unix listeners as one type: {@code
 * SocketListener<?>}, whose {@code accept()} gives a {@link SocketStream}.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class SocketListenerApiTest {
    private static final Token SERVER = new Token(0);
    private static final Token CLIENT = new Token(1);

    @TempDir
    Path dir;

    @Test
    void tcpAndUnixListenersServeThroughOneType() throws Exception {
        try (TcpListener tcp = TcpListener.bind(new InetSocketAddress("127.0.0.1", 0));
                UnixListener unix = UnixListener.bind(dir.resolve("s"))) {
            serveOne(tcp);
            serveOne(unix);

            // The concrete types keep their precise accept().
            TcpStream none = tcp.accept();
            UnixStream alsoNone = unix.accept();
            assertThat(none).isNull();
            assertThat(alsoNone).isNull();
        }
    }

    /** A server loop written once, for any listener. */
    private static void serveOne(SocketListener<?> listener) throws Exception {
        TestUtil.assertNonBlocking(listener::channel);
        assertThat(listener.isOpen()).isTrue();
        try (Poll poll = Poll.open()) {
            Events events = Events.withCapacity(8);
            poll.registry().register(listener, SERVER, Interest.READABLE);
            assertThat(listener.accept()).isNull();

            try (SocketChannel peer = connectTo(listener)) {
                expectEvents(poll, events, expected(SERVER, READABLE));
                SocketStream stream = listener.accept();
                assertThat(stream).isNotNull();
                try (stream) {
                    assertThat(listener.accept()).isNull();
                    poll.registry().register(stream, CLIENT, Interest.READABLE);
                    checkedWrite(peer, DATA1);
                    expectEvents(poll, events, expected(CLIENT, READABLE));
                    expectRead(stream, DATA1);
                    assertThat(stream.write(buf(DATA1))).isEqualTo(DATA1.length);
                }
            }
            poll.registry().deregister(listener);
        }
    }

    /** Opens a TCP or a Unix-domain socket, as the address says. */
    private static SocketChannel connectTo(SocketListener<?> listener) throws Exception {
        return SocketChannel.open(listener.localAddress());
    }

    @Test
    void closeThroughTheSharedTypeClosesTheChannel() throws Exception {
        SocketListener<?> listener = TcpListener.bind(new InetSocketAddress("127.0.0.1", 0));
        listener.close();
        assertThat(listener.isOpen()).isFalse();
        if (TestUtil.nio()) {
            assertThat(listener.channel().isOpen()).isFalse();
        }
    }
}
