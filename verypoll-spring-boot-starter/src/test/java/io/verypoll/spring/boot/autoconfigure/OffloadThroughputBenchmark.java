package io.verypoll.spring.boot.autoconfigure;

import io.verypoll.spring.boot.frame.FrameDecoders;
import io.verypoll.spring.boot.server.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.task.TaskExecutionAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Not a test: a measurement, run on demand ({@code -Dtest=OffloadThroughputBenchmark}; the name keeps
 * it out of the suite). Requests per second of offloaded work over loopback, with Boot's
 * {@code applicationTaskExecutor} as platform threads (its default pool of 8) and as virtual threads
 * ({@code spring.threads.virtual.enabled=true}, JDK 21+), for work that returns at once and for work
 * that blocks 1 ms (a query's wait). Prints its figures and asserts nothing.
 */
@Timeout(600)
class OffloadThroughputBenchmark {

    private static final int REQUESTS = Integer.getInteger("verypoll.benchmark.requests", 100_000);
    private static final int CONNECTIONS = 16;

    @Test
    void offloadedRequestsPerSecondWithPlatformAndVirtualThreads() {
        List<String> results = new ArrayList<>();
        boolean virtualThreads = Runtime.version().feature() >= 21;
        for (long blockMicros : new long[] {0, 1_000}) {
            results.add(run("platform", false, blockMicros));
            if (virtualThreads) {
                results.add(run("virtual", true, blockMicros));
            }
        }
        System.out.println("offload throughput, " + Runtime.version() + ", " + Runtime.getRuntime().availableProcessors()
                + " cores, " + REQUESTS + " requests over " + CONNECTIONS + " connections, max-in-flight 16:");
        results.forEach(line -> System.out.println("  " + line));
    }

    private static String run(String label, boolean virtual, long blockMicros) {
        List<String> result = new ArrayList<>();
        new ApplicationContextRunner()
                .withPropertyValues("verypoll.loops=2", "verypoll.shutdown-timeout=0s",
                        "spring.threads.virtual.enabled=" + virtual)
                .withConfiguration(AutoConfigurations.of(VerypollAutoConfiguration.class, TaskExecutionAutoConfiguration.class))
                .withBean("bench", TcpServer.class, () -> TcpServer.builder().port(0).decoder(FrameDecoders.lines(64))
                        .messageHandler((c, line) -> {
                            ByteBuffer reply = ByteBuffer.allocate(line.remaining() + 1).put(line).put((byte) '\n').flip();
                            c.offload(() -> {
                                if (blockMicros > 0) {
                                    TimeUnit.MICROSECONDS.sleep(blockMicros); // the wait of a query, say
                                }
                                return reply;
                            }, (conn, bytes) -> conn.writeOwned(bytes));
                        }).build())
                .run(context -> {
                    TcpServer server = context.getBean(TcpServer.class);
                    drive(server, REQUESTS / 10); // warm-up
                    long start = System.nanoTime();
                    drive(server, REQUESTS);
                    double seconds = (System.nanoTime() - start) / 1e9;
                    result.add(String.format("%-8s work %4d µs: %,10.0f requests/s (%.2f s)", label, blockMicros,
                            REQUESTS / seconds, seconds));
                });
        return result.get(0);
    }

    /** {@code requests} lines over {@link #CONNECTIONS} connections, each writing all of its share while reading the replies. */
    private static void drive(TcpServer server, int requests) throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(2 * CONNECTIONS);
        try {
            List<CompletableFuture<Void>> done = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++) {
                int share = requests / CONNECTIONS;
                Socket socket = new Socket("127.0.0.1", server.port());
                socket.setTcpNoDelay(true);
                done.add(CompletableFuture.runAsync(() -> write(socket, share), clients));
                done.add(CompletableFuture.runAsync(() -> read(socket, share), clients));
            }
            CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(300, TimeUnit.SECONDS);
        } finally {
            clients.shutdownNow();
        }
    }

    private static void write(Socket socket, int count) {
        try {
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
            for (int i = 0; i < count; i++) {
                out.write(("GET " + i + "\n").getBytes(StandardCharsets.US_ASCII));
            }
            out.flush();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void read(Socket socket, int count) {
        try (socket) {
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[64 * 1024];
            int lines = 0;
            while (lines < count) {
                int n = in.read(buffer);
                if (n < 0) {
                    throw new IOException("closed after " + lines + " replies");
                }
                for (int i = 0; i < n; i++) {
                    if (buffer[i] == '\n') {
                        lines++;
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
