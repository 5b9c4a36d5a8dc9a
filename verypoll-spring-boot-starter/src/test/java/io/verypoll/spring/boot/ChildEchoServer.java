package io.verypoll.spring.boot;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.time.Duration;

/**
 * A TCP echo server in its own JVM, run by {@link AcceptErrorBackoffTest} under a low file descriptor
 * limit. Prints its port, then answers "stats" on stdin with its accept counters.
 */
public final class AcceptErrorChild {

    private AcceptErrorChild() {
    }

    public static void main(String[] args) throws Exception {
        PollLoopGroup group = new PollLoopGroup(
                new PollLoopGroup.Settings(1, 256, Duration.ofSeconds(2), Duration.ofSeconds(1), 1024));
        TcpServer server = TcpServer.builder().name("child").port(0).idleTimeout(Duration.ZERO)
                .acceptBackoff(Duration.ofMillis(100), Duration.ofMillis(400))
                .handler((connection, data) -> connection.write(data)).build();
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
            }
        }
        server.stopAccepting(Duration.ofSeconds(1));
        server.forceClose(Duration.ofSeconds(1));
        group.stop(Duration.ofSeconds(5));
    }
}
