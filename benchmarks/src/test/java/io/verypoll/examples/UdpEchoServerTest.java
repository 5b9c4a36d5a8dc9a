package io.verypoll.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class UdpEchoServerTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void echoesEveryDatagramWithEveryByte() throws Exception {
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try (UdpEchoServer server = new UdpEchoServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            SocketAddress address = server.localAddress();
            Future<?> loop = thread.submit(() -> {
                server.run();
                return null;
            });
            try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                client.setSoTimeout(5000); // loopback does not drop; a lost datagram fails the test
                Random random = new Random(1);
                int[] sizes = {1, 2, 64, 512, 1400, 9000, 65507};
                for (int round = 0; round < 20; round++) {
                    for (int size : sizes) {
                        byte[] message = new byte[size];
                        random.nextBytes(message);
                        client.send(new DatagramPacket(message, size, address));
                        DatagramPacket reply = new DatagramPacket(new byte[65536], 65536);
                        client.receive(reply);
                        assertThat(reply.getSocketAddress()).isEqualTo(address);
                        assertThat(Arrays.copyOf(reply.getData(), reply.getLength())).isEqualTo(message);
                    }
                }
            }
            server.stop();
            loop.get(10, TimeUnit.SECONDS);
        } finally {
            thread.shutdownNow();
        }
    }
}
