package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.frame.FrameDecoders;
import io.verypoll.spring.boot.frame.FrameEncoders;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.time.Duration;

/**
 * A TCP echo server (or, with the argument {@code framed}, an echo of lines; with {@code reuseport}, on two loops with a listener each; with {@code tls}, a TLS echo with the test bundle "server") in its own JVM, for tests that must look at a server from outside: under a low
 * file descriptor limit ({@link AcceptErrorBackoffTest}), or weighing its heap without the clients'
 * objects in the same heap ({@link IdleConnectionHeapTest}). Prints its port, then answers "stats"
 * (accept counters) and "heap" (bytes of heap in use after a full collection) on stdin.
 */
public final class ChildEchoServer {

    private ChildEchoServer() {
    }

    private static long heapUsedAfterGc() {
        java.lang.management.MemoryMXBean memory = java.lang.management.ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        // Several collections: the lowest reading is the one with the least floating garbage.
        for (int i = 0; i < 4; i++) {
            System.gc();
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    public static void main(String[] args) throws Exception {
        // With the argument reuseport: two loops, each with a listener of its own.
        boolean reuseport = args.length > 0 && args[0].equals("reuseport");
        PollLoopGroup group = new PollLoopGroup(new PollLoopGroup.Settings(reuseport ? 2 : 1, 256, Duration.ofSeconds(2),
                Duration.ofSeconds(1), 1024, 65_536));
        TcpServer.Builder builder = TcpServer.builder().name("child").port(0).idleTimeout(Duration.ZERO)
                .acceptBackoff(Duration.ofMillis(100), Duration.ofMillis(400))
                .accept(reuseport ? AcceptMode.REUSEPORT : AcceptMode.HAND_OFF);
        if (args.length > 0 && args[0].equals("framed")) {
            // Echo of lines: each byte the client sends is a one-byte line ending in LF... or waiting for it.
            builder.decoder(FrameDecoders.lines(1024)).messageHandler((c, line) -> c.writeFrame(line, FrameEncoders.lines()));
        } else {
            builder.handler((connection, data) -> connection.write(data));
        }
        if (args.length > 0 && args[0].equals("tls")) {
            builder.sslBundle("server").sslBundles(TlsMaterial.registry());
        }
        TcpServer server = builder.build();
        server.start(group);
        System.out.println("PORT " + server.port());
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.equals("stats")) {
                System.out.println("STATS " + server.acceptedConnections() + " " + server.rejectedAcceptErrors() + " "
                        + server.activeConnections() + " " + server.isAcceptPaused());
                System.out.flush();
            } else if (line.equals("heap")) {
                System.out.println("HEAP " + heapUsedAfterGc());
                System.out.flush();
            }
        }
        server.stopAccepting(Duration.ofSeconds(1));
        server.forceClose(Duration.ofSeconds(1));
        group.stop(Duration.ofSeconds(5));
    }
}
