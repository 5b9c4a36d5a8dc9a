package io.verypoll.spring.boot.server;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * EMFILE at accept: the server must pause accepting with backoff instead of spinning, count the
 * errors, and take the waiting connections once descriptors are free again. The server runs in a
 * child JVM under {@code ulimit -n} (HotSpot raises a lower soft limit to the hard one, so both are
 * set), and its CPU is read from outside through /proc (oracle O-CPU).
 */
@Timeout(120)
class AcceptErrorBackoffTest {

    private static final int FD_LIMIT = 400;

    @ParameterizedTest
    @EnumSource(AcceptMode.class)
    void acceptErrorsPauseAcceptingWithoutSpinningAndRecover(AcceptMode mode) throws Exception {
        // reuseport: two listeners, each pausing on its own errors.
        int listeners = mode == AcceptMode.REUSEPORT ? 2 : 1;
        assumeThat(Path.of("/proc/self/stat")).exists();
        assumeThat(new File("/bin/bash")).exists();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String command = "ulimit -n " + FD_LIMIT + " && exec '" + java + "' -Xmx64m -cp '"
                + System.getProperty("java.class.path") + "' " + ChildEchoServer.class.getName()
                + (mode == AcceptMode.REUSEPORT ? " reuseport" : "");
        Process child = new ProcessBuilder("/bin/bash", "-c", command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<Socket> clients = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter in = new PrintWriter(child.getOutputStream(), true, StandardCharsets.UTF_8)) {
            String first = nextLine(out, "PORT ");
            int port = Integer.parseInt(first.substring(5));

            // More connections than the child has descriptors: the kernel completes them from the
            // backlog, the child accepts until EMFILE.
            for (int i = 0; i < FD_LIMIT + 100; i++) {
                Socket socket = new Socket();
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
                clients.add(socket);
            }
            long[] stats = awaitStats(out, in, s -> s[1] >= 1);
            assertThat(stats[0]).isLessThan(FD_LIMIT);

            // O-CPU: over a 2 s window the paused server uses under 10 % of a core, and the accept
            // errors grow with the backoff (at most one per 100 ms), not with a spin.
            long ticksBefore = cpuTicks(child.pid());
            long errorsBefore = stats[1];
            TimeUnit.SECONDS.sleep(2); // the measurement window, not a synchronisation
            long ticks = cpuTicks(child.pid()) - ticksBefore;
            long[] after = awaitStats(out, in, s -> true);
            assertThat(ticks).as("CPU ticks (1/100 s) used in 2 s while accept is failing").isLessThan(20);
            assertThat(after[1] - errorsBefore).as("accept errors in 2 s").isLessThanOrEqualTo(21L * listeners);

            // Free descriptors: the waiting connections are accepted without outside help.
            long acceptedBefore = after[0];
            for (int i = 0; i < 100; i++) {
                clients.get(i).close();
            }
            long[] recovered = awaitStats(out, in, s -> s[0] >= acceptedBefore + 50);
            assertThat(recovered[0]).isGreaterThanOrEqualTo(acceptedBefore + 50);

            // Every connection still closes as it should, those whose end came at EMFILE included
            // (a class of the close path first loaded then would fail every later close): once the
            // clients are gone, the child counts none open.
            for (Socket socket : clients) {
                socket.close();
            }
            long[] drained = awaitStats(out, in, s -> s[2] == 0);
            assertThat(drained[2]).as("connections the child still counts open after every client closed").isZero();
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

    /** Asks the child for its counters until {@code done} holds (bounded): accepted, errors, active, paused. */
    private static long[] awaitStats(BufferedReader out, PrintWriter in, java.util.function.Predicate<long[]> done)
            throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        long[] stats;
        do {
            in.println("stats");
            String line = nextLine(out, "STATS ");
            String[] parts = line.split(" ");
            stats = new long[] {Long.parseLong(parts[1]), Long.parseLong(parts[2]), Long.parseLong(parts[3]),
                    Boolean.parseBoolean(parts[4]) ? 1 : 0};
        } while (!done.test(stats) && System.nanoTime() < deadline);
        return stats;
    }

    /** The child's next line with {@code prefix}; its log lines (on the same stdout) are skipped. */
    private static String nextLine(BufferedReader out, String prefix) throws IOException {
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith(prefix)) {
                return line;
            }
            System.out.println("child: " + line);
        }
        throw new IOException("the child ended before printing " + prefix);
    }

    /** utime + stime of a process, in clock ticks, from /proc/PID/stat (fields 14 and 15). */
    private static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }
}
