package io.verypoll.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TcpEchoServerTest {
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private TcpEchoServer server;
    private Future<?> loop;
    private SocketAddress address;

    @BeforeEach
    void start() throws IOException {
        server = new TcpEchoServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        address = server.localAddress();
        loop = threads.submit(() -> {
            server.run();
            return null;
        });
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
        loop.get(10, TimeUnit.SECONDS); // run() returns, and did not fail
        server.close();
        threads.shutdownNow();
    }

    @Test
    void echoesEveryByteOfSmallMessages() throws Exception {
        try (SocketChannel client = SocketChannel.open(address)) {
            for (int i = 0; i < 100; i++) {
                byte[] message = bytes(1 + i * 7, i);
                write(client, message);
                assertThat(read(client, message.length)).isEqualTo(message);
            }
        }
    }

    @Test
    void echoesBulkDataAgainstASlowReader() throws Exception {
        // 8 MiB sent at once while the client does not read for a while: the server's writes
        // would block, so its pending-output path and writable events are exercised.
        byte[] data = bytes(8 << 20, 42);
        try (SocketChannel client = SocketChannel.open(address)) {
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    write(client, data);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, threads);
            Thread.sleep(300);
            assertThat(read(client, data.length)).isEqualTo(data);
            writer.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void servesManyConnectionsAndSurvivesClosedOnes() throws Exception {
        SocketChannel[] clients = new SocketChannel[50];
        for (int i = 0; i < clients.length; i++) {
            clients[i] = SocketChannel.open(address);
            write(clients[i], bytes(100, i));
        }
        for (int i = 0; i < clients.length; i++) {
            assertThat(read(clients[i], 100)).isEqualTo(bytes(100, i));
            if (i % 2 == 0) {
                clients[i].close();
            }
        }
        for (int i = 1; i < clients.length; i += 2) {
            write(clients[i], bytes(1000, -i));
            assertThat(read(clients[i], 1000)).isEqualTo(bytes(1000, -i));
            clients[i].close();
        }
        // Slots of closed connections are reused.
        try (SocketChannel client = SocketChannel.open(address)) {
            write(client, bytes(10, 7));
            assertThat(read(client, 10)).isEqualTo(bytes(10, 7));
        }
    }

    static byte[] bytes(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    static void write(SocketChannel channel, byte[] data) throws IOException {
        ByteBuffer src = ByteBuffer.wrap(data);
        while (src.hasRemaining()) {
            channel.write(src);
        }
    }

    static byte[] read(SocketChannel channel, int length) throws IOException {
        ByteBuffer dst = ByteBuffer.allocate(length);
        while (dst.hasRemaining()) {
            if (channel.read(dst) < 0) {
                throw new IOException("end of stream after " + dst.position() + " of " + length + " bytes");
            }
        }
        return dst.array();
    }
}
