package io.verypoll.demo.resp;

import io.verypoll.demochild.RespHeapChild;
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
 * Heap per idle connection of the RESP server, with its decoder (one per connection) configured:
 * measured in a server JVM of its own, so that the clients' objects are not weighed too. The
 * framework's framed connection costs about 1.3 KiB; the decoder adds its few fields, and the
 * command handler (one per loop) nothing.
 */
@Timeout(120)
class RespIdleHeapTest {

    private static final int CONNECTIONS = 2000;

    @Test
    void anIdleRespConnectionCostsAboutOneKibibyteOfHeap() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-Xmx128m", "-XX:+UseSerialGC", "-cp",
                System.getProperty("java.class.path"), RespHeapChild.class.getName())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<Socket> clients = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter in = new PrintWriter(child.getOutputStream(), true, StandardCharsets.UTF_8)) {
            int port = Integer.parseInt(nextLine(out, "PORT ").substring(5));
            // Warm up: one command, so that classes, the loop's buffers and the handler exist before the baseline.
            try (RespClient warm = RespClient.connect(port)) {
                assertThat(warm.call("SET", "k", "v")).isEqualTo("OK");
                assertThat(warm.call("GET", "k")).isEqualTo("v");
            }
            awaitActive(out, in, 0);
            long before = heap(out, in);
            for (int i = 0; i < CONNECTIONS; i++) {
                clients.add(connect(port));
            }
            awaitActive(out, in, CONNECTIONS);
            long after = heap(out, in);
            long perConnection = (after - before) / CONNECTIONS;
            System.out.println("heap per idle RESP connection: " + perConnection + " bytes");
            assertThat(perConnection).isPositive().isLessThan(2048);
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

    private static Socket connect(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
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
            in.println("active");
            seen = Long.parseLong(nextLine(out, "ACTIVE ").substring(7));
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
