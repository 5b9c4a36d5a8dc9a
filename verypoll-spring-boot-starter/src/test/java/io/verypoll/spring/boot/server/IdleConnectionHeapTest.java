package io.verypoll.spring.boot.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Heap per idle connection, measured in a server JVM of its own (the clients' objects would
 * otherwise be weighed too). Connections read into their loop's shared buffer and hold no output
 * buffer while the peer keeps up, so an idle one should cost well under 4 KiB.
 */
@Timeout(120)
class IdleConnectionHeapTest {

    private static final int CONNECTIONS = 2000;
    /** Fewer: each costs a handshake on both sides. */
    private static final int TLS_CONNECTIONS = 500;

    @Test
    void anIdleConnectionCostsLessThanFourKibibytesOfHeap() throws Exception {
        measure("plain", 1, 1);
    }

    @Test
    void anIdleFramedConnectionCostsLessThanFourKibibytesOfHeap() throws Exception {
        // The warm-up sends a line, so the framing path and the loop's write batch exist before the baseline.
        measure("framed", '\n', '\n');
    }

    /**
     * A TLS connection idle after its handshake holds its engine (session, keys, ciphers) and no packet
     * buffer: those are the loop's, and a connection keeps ciphertext only while it is in flight.
     */
    @Test
    void anIdleTlsConnectionCostsItsEngineAndNoPacketBuffers() throws Exception {
        long perConnection = measure("tls", 1, 1);
        // Two 16 KiB packet buffers per connection alone would be 33 KiB.
        assertThat(perConnection).isLessThan(16 * 1024);
    }

    private static long measure(String mode, int warmUpByte, int echoed) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-Xmx128m", "-XX:+UseSerialGC", "-cp",
                System.getProperty("java.class.path"), ChildEchoServer.class.getName(), mode)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<Socket> clients = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter in = new PrintWriter(child.getOutputStream(), true, StandardCharsets.UTF_8)) {
            int port = Integer.parseInt(nextLine(out, "PORT ").substring(5));
            // Warm up: one connection that echoes, so that classes and loop buffers exist before the baseline.
            try (Socket warm = connect(port, mode)) {
                warm.getOutputStream().write(warmUpByte);
                assertThat(warm.getInputStream().read()).isEqualTo(echoed);
            }
            awaitActive(out, in, 0);
            long before = heap(out, in);
            int connections = mode.equals("tls") ? TLS_CONNECTIONS : CONNECTIONS;
            for (int i = 0; i < connections; i++) {
                clients.add(connect(port, mode));
            }
            awaitActive(out, in, connections);
            long after = heap(out, in);
            long perConnection = (after - before) / connections;
            System.out.println("heap per idle " + mode + " connection: " + perConnection + " bytes");
            if (!mode.equals("tls")) {
                assertThat(perConnection).isPositive().isLessThan(4096);
            }
            return perConnection;
        } finally {
            for (Socket socket : clients) {
                socket.close();
            }
            child.destroy();
            if (!child.waitFor(10, TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
        }
    }

    private static Socket connect(int port, String mode) throws IOException {
        Socket socket = mode.equals("tls") ? TlsMaterial.client().getSocketFactory().createSocket() : new Socket();
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
        socket.setSoTimeout(10_000);
        if (socket instanceof javax.net.ssl.SSLSocket tls) {
            tls.startHandshake(); // the server opens the connection once the handshake is done
        }
        return socket;
    }

    private static long heap(BufferedReader out, PrintWriter in) throws IOException {
        in.println("heap");
        return Long.parseLong(nextLine(out, "HEAP ").substring(5));
    }

    private static void awaitActive(BufferedReader out, PrintWriter in, long active) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        long seen;
        do {
            in.println("stats");
            seen = Long.parseLong(nextLine(out, "STATS ").split(" ")[3]);
        } while (seen != active && System.nanoTime() < deadline);
        assertThat(seen).isEqualTo(active);
    }

    private static String nextLine(BufferedReader out, String prefix) throws IOException {
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith(prefix)) {
                return line;
            }
        }
        throw new IOException("the child ended before printing " + prefix);
    }
}
