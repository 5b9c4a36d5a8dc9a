package io.verypoll.net;

import static io.verypoll.TestUtil.anyLocalAddress;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link TcpListener#bindReusePort}, on both backends: listeners share one port (port 0 through the
 * first one's port), a plain bind on that port fails, and the kernel gives each listener a share of
 * new connections.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReusePortTest {
    private static final int CONNECTIONS = 200;

    @Test
    void listenersShareAPortAndTheConnections() throws Exception {
        try (TcpListener first = TcpListener.bindReusePort(anyLocalAddress(), 1024);
             TcpListener second = TcpListener.bindReusePort(first.localAddress(), 1024)) {
            InetSocketAddress address = (InetSocketAddress) first.localAddress();
            assertThat(address.getPort()).isPositive();
            assertThat(second.localAddress()).isEqualTo(address);
            assertThatThrownBy(() -> TcpListener.bind(address)).as("a bind without SO_REUSEPORT")
                    .isInstanceOf(BindException.class);

            List<Socket> clients = new ArrayList<>();
            int[] accepted = new int[2];
            try {
                for (int i = 0; i < CONNECTIONS; i++) {
                    Socket client = new Socket();
                    clients.add(client);
                    client.connect(address, 10_000);
                    // Accept as we go: each backlog stays short.
                    accepted[0] += drain(first);
                    accepted[1] += drain(second);
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (accepted[0] + accepted[1] < CONNECTIONS && System.nanoTime() < deadline) {
                    accepted[0] += drain(first);
                    accepted[1] += drain(second);
                    Thread.sleep(5);
                }
            } finally {
                for (Socket c : clients) {
                    c.close();
                }
            }
            assertThat(accepted[0] + accepted[1]).as("every connection accepted by one of them").isEqualTo(CONNECTIONS);
            // The kernel hashes each connection's addresses: all 200 on one listener would be a 2^-199 chance.
            assertThat(accepted[0]).as("first's share").isPositive();
            assertThat(accepted[1]).as("second's share").isPositive();
        }
    }

    private static int drain(TcpListener listener) throws IOException {
        int n = 0;
        TcpStream s;
        while ((s = listener.accept()) != null) {
            s.close();
            n++;
        }
        return n;
    }

    @Test
    void aPlainListenerKeepsItsPort() throws Exception {
        try (TcpListener plain = TcpListener.bind(anyLocalAddress())) {
            assertThatThrownBy(() -> TcpListener.bindReusePort(plain.localAddress(), 16)).isInstanceOf(BindException.class);
        }
    }
}
