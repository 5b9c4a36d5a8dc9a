package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.PollLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Oracle O-BYTES at close: a response closed while the peer is still sending reaches the peer whole.
 * Closing a socket with unread input makes the kernel reset the connection and drop what it has not
 * sent yet, so a graceful close must shut output down and read until the peer ends.
 */
@Timeout(60)
class GracefulCloseTest {

    private static final int RESPONSE = 4 * 1024 * 1024;

    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(2, 64, Duration.ofSeconds(2), Duration.ofMillis(200), 64, 1024));
    private TcpServer server;

    @AfterEach
    void stop() {
        threads.shutdownNow();
        if (server != null) {
            server.stopAccepting(Duration.ofSeconds(2));
            server.forceClose(Duration.ofSeconds(2));
        }
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
    }

    private static byte[] response(int size) {
        byte[] bytes = new byte[size];
        new Random(7).nextBytes(bytes);
        return bytes;
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(16 * 1024); // a slow peer: most of the response waits in the server's kernel
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
        socket.setSoTimeout(20_000);
        return socket;
    }

    /** Sends until told to stop (then ends its side) or the server refuses; bounded by count. */
    private CompletableFuture<Long> keepSending(Socket socket, AtomicBoolean stop) {
        return CompletableFuture.supplyAsync(() -> {
            byte[] chunk = new byte[16 * 1024];
            long sent = 0;
            try {
                OutputStream out = socket.getOutputStream();
                for (int i = 0; i < 64 * 1024 && !stop.get(); i++) {
                    out.write(chunk);
                    sent += chunk.length;
                }
                socket.shutdownOutput();
            } catch (IOException e) {
                // The server reset the connection: the test's byte check says whether that lost data.
            }
            return sent;
        }, threads);
    }

    private static byte[] readToEnd(InputStream in) throws IOException {
        return in.readAllBytes();
    }

    @Test
    void responseClosedWhilePeerKeepsSendingArrivesWhole() throws Exception {
        byte[] response = response(RESPONSE);
        server = TcpServer.builder().name("closer").port(0).handler((connection, data) -> {
            if (connection.attachment() == null) {
                connection.attach(Boolean.TRUE);
                connection.write(ByteBuffer.wrap(response));
                connection.close();
            }
        }).build();
        server.start(group);
        try (Socket socket = connect()) {
            AtomicBoolean stop = new AtomicBoolean();
            CompletableFuture<Long> sender = keepSending(socket, stop);
            byte[] received = readToEnd(socket.getInputStream());
            stop.set(true);
            sender.get(20, TimeUnit.SECONDS);
            assertThat(received.length).isEqualTo(RESPONSE);
            assertThat(MessageDigest.getInstance("SHA-256").digest(received))
                    .isEqualTo(MessageDigest.getInstance("SHA-256").digest(response));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> server.activeConnections() == 0);
        assertThat(server.closedConnections(CloseReason.LOCAL)).isEqualTo(1);
    }

    @Test
    void gracefulShutdownWaitsForBytesAlreadyInTheKernel() throws Exception {
        byte[] response = response(2 * 1024 * 1024);
        server = TcpServer.builder().name("talker").port(0).handler(new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                connection.write(ByteBuffer.wrap(response));
            }

            @Override
            public void onData(Connection connection, ByteBuffer data) {
                // input is ignored: the peer keeps talking while the response drains
            }
        }).build();
        server.start(group);
        try (Socket socket = connect()) {
            AtomicBoolean stop = new AtomicBoolean();
            CompletableFuture<Long> sender = keepSending(socket, stop);
            // Everything is written by the application; part of it still sits in the kernel.
            await().atMost(Duration.ofSeconds(10)).until(() -> server.bytesSent() > 0 && server.pendingBytes() == 0
                    && server.bytesSent() == response.length);
            CompletableFuture<Void> shutdown = CompletableFuture.runAsync(() -> {
                server.stopAccepting(Duration.ofSeconds(2));
                server.beginDrain();
            }, threads);
            byte[] received = readToEnd(socket.getInputStream());
            stop.set(true);
            shutdown.get(10, TimeUnit.SECONDS);
            sender.get(20, TimeUnit.SECONDS);
            assertThat(received.length).isEqualTo(response.length);
            assertThat(MessageDigest.getInstance("SHA-256").digest(received))
                    .isEqualTo(MessageDigest.getInstance("SHA-256").digest(response));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> server.activeConnections() == 0);
        assertThat(server.closedConnections(CloseReason.SHUTDOWN)).isEqualTo(1);
        assertThat(server.forceClose(Duration.ofSeconds(2))).isZero();
    }

    @Test
    void aQuietPeerThatNeverClosesIsClosedAfterTheLingerTimeout() throws Exception {
        server = TcpServer.builder().name("linger").port(0).lingerTimeout(Duration.ofMillis(200))
                .handler((connection, data) -> {
                    connection.write("bye\n".getBytes());
                    connection.close();
                }).build();
        server.start(group);
        try (Socket socket = connect()) {
            socket.getOutputStream().write('x');
            InputStream in = socket.getInputStream();
            assertThat(in.readNBytes(4)).isEqualTo("bye\n".getBytes());
            assertThat(in.read()).isEqualTo(-1); // the server's end of stream; this side stays open
            await().atMost(Duration.ofSeconds(10)).until(() -> server.activeConnections() == 0);
            assertThat(server.closedConnections(CloseReason.LOCAL)).isEqualTo(1);
        }
    }

    @Test
    void aPeerThatKeepsSendingAfterTheEndIsCutOffAtTheIdleTimeoutAndCounted() throws Exception {
        server = TcpServer.builder().name("linger").port(0).lingerTimeout(Duration.ofSeconds(5))
                .idleTimeout(Duration.ofMillis(300))
                .handler((connection, data) -> {
                    connection.write("bye\n".getBytes());
                    connection.close();
                }).build();
        server.start(group);
        try (Socket socket = connect()) {
            socket.getOutputStream().write('x');
            assertThat(socket.getInputStream().readNBytes(4)).isEqualTo("bye\n".getBytes());
            AtomicBoolean stop = new AtomicBoolean();
            CompletableFuture<Long> sender = keepSending(socket, stop); // ends with a reset
            await().atMost(Duration.ofSeconds(10)).until(() -> server.activeConnections() == 0);
            stop.set(true);
            sender.get(10, TimeUnit.SECONDS);
            assertThat(server.closedConnections(CloseReason.LINGER_TIMEOUT)).isEqualTo(1);
        }
    }
}
