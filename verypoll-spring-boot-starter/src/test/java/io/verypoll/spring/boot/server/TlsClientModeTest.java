package io.verypoll.spring.boot.server;

import io.verypoll.net.TcpStream;
import io.verypoll.spring.boot.loop.LoopRuntime;
import io.verypoll.spring.boot.loop.LoopTimer;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.pem.PemSslStoreBundle;
import org.springframework.boot.ssl.pem.PemSslStoreDetails;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.NotYetConnectedException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The TLS layer is not server-specific: the same {@link TlsChannel}, its engine in client mode
 * ({@link TlsContext#forClient}), talks to the TLS server over a verypoll socket, verifying the
 * server's host name. Driven here by hand, as a client connection's loop would drive it.
 */
@Timeout(60)
class TlsClientModeTest {

    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(1, 256, Duration.ofSeconds(2), Duration.ofMillis(200), 1024, 65_536));
    private final ExecutorService tasks = Executors.newSingleThreadExecutor();
    private final Queue<Runnable> loopTasks = new ConcurrentLinkedQueue<>();
    private TcpServer server;

    @AfterEach
    void stop() {
        tasks.shutdownNow();
        if (server != null) {
            server.stopAccepting(Duration.ofSeconds(2));
            server.forceClose(Duration.ofSeconds(2));
        }
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
    }

    /** The test thread plays the loop: tasks handed back to it are queued and run by {@link #drive}. */
    private final LoopRuntime runtime = new LoopRuntime() {
        private final ByteBuffer read = ByteBuffer.allocateDirect(64 * 1024);

        @Override
        public ByteBuffer readBuffer() {
            return read;
        }

        @Override
        public long now() {
            return System.nanoTime();
        }

        @Override
        public void armTimer(LoopTimer timer, long deadlineNanos) {
        }

        @Override
        public void cancelTimer(LoopTimer timer) {
        }

        @Override
        public void runLater(Runnable continuation) {
            loopTasks.add(continuation);
        }

        @Override
        public boolean executeInternal(Runnable task) {
            return loopTasks.add(task);
        }

        @Override
        public void recordHandlerError(Throwable error) {
        }
    };

    private TlsChannel connect(String host) throws Exception {
        server = TcpServer.builder().name("peer").port(0).sslBundle("server").sslBundles(TlsMaterial.registry())
                .handler((c, data) -> c.write(data)).build();
        server.start(group);
        SslBundle trust = SslBundle.of(new PemSslStoreBundle(null, PemSslStoreDetails.forCertificate("classpath:tls/ca.crt")));
        TlsContext context = TlsContext.forClient(trust, new String[0], true, tasks, 1);
        TcpStream stream = TcpStream.connect(new InetSocketAddress("127.0.0.1", server.port()));
        // Buffers of a context of our own: the server's loop never touches them.
        return new TlsChannel(new SocketStreamChannel(stream), context.newEngine(host, server.port()), context,
                context.buffers(group.loops().get(0)), runtime);
    }

    /** Reads (and runs what comes back from tasks) until {@code into} has {@code bytes} or the channel is ready. */
    private void drive(TlsChannel channel, ByteBuffer into, int bytes) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            Runnable task;
            while ((task = loopTasks.poll()) != null) {
                task.run();
            }
            channel.flushBuffered();
            try {
                assertThat(channel.read(into)).isNotNegative();
            } catch (NotYetConnectedException e) {
                // the non-blocking connect is still on its way
            }
            if (bytes == 0 ? channel.isReady() : into.position() >= bytes) {
                return;
            }
            Thread.sleep(1); // a polling driver, bounded by the deadline
        }
        throw new AssertionError("no progress within 10 s");
    }

    @Test
    void aClientModeChannelHandshakesVerifiesTheHostAndEchoes() throws Exception {
        TlsChannel client = connect("localhost");
        ByteBuffer in = ByteBuffer.allocate(64 * 1024);
        drive(client, in, 0);
        assertThat(client.sslSession().getProtocol()).isEqualTo("TLSv1.3");
        assertThat(client.write(ByteBuffer.wrap("over tls".getBytes(StandardCharsets.US_ASCII)))).isEqualTo(8);
        drive(client, in, 8);
        assertThat(new String(in.array(), 0, in.position(), StandardCharsets.US_ASCII)).isEqualTo("over tls");
        client.shutdownOutput(); // close_notify: the server ends too
        ByteBuffer rest = ByteBuffer.allocate(64 * 1024);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int n = 0;
        while (System.nanoTime() < deadline && (n = client.read(rest)) == 0) {
            client.flushBuffered();
            Thread.sleep(1);
        }
        assertThat(n).as("the server's close_notify").isEqualTo(-1);
        client.close();
    }

    @Test
    void aServerWhoseCertificateDoesNotNameTheHostIsRefused() throws Exception {
        TlsChannel client = connect("example.com");
        assertThatThrownBy(() -> drive(client, ByteBuffer.allocate(64 * 1024), 0)).isInstanceOf(IOException.class)
                .isInstanceOfSatisfying(LayerFailure.class, failure -> {
                    assertThat(failure.reason()).isEqualTo(CloseReason.TLS_ERROR);
                    assertThat(failure.tls()).isEqualTo(TlsFailure.CERTIFICATE);
                });
        client.close();
    }
}
