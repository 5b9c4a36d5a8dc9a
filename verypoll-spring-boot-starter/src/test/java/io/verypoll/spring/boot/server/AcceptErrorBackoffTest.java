package io.verypoll.spring.boot.server;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.net.SocketFactory;
import javax.net.ssl.SSLSocket;
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
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

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

    /** The child's lines that say a class failed to load (the EMFILE failure this test is after). */
    private final List<String> classLoadFailures = new ArrayList<>();

    /** The child's server: plain TCP with either accept mode, or TLS (hand-off). */
    enum ChildMode {
        HAND_OFF(1, ""),
        // Two listeners, each pausing on its own errors.
        REUSEPORT(2, "reuseport"),
        TLS(1, "tls");

        final int listeners;
        final String argument;

        ChildMode(int listeners, String argument) {
            this.listeners = listeners;
            this.argument = argument;
        }
    }

    @ParameterizedTest
    @EnumSource(ChildMode.class)
    void acceptErrorsPauseAcceptingWithoutSpinningAndRecover(ChildMode mode) throws Exception {
        int listeners = mode.listeners;
        assumeThat(Path.of("/proc/self/stat")).exists();
        assumeThat(new File("/bin/bash")).exists();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String command = "ulimit -n " + FD_LIMIT + " && exec '" + java + "' -Xmx64m -cp '"
                + childClassPath() + "' " + ChildEchoServer.class.getName()
                + " " + mode.argument;
        Process child = new ProcessBuilder("/bin/bash", "-c", command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<Socket> clients = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter in = new PrintWriter(child.getOutputStream(), true, StandardCharsets.UTF_8)) {
            String first = nextLine(out, "PORT ");
            int port = Integer.parseInt(first.substring(5));

            // More connections than the child has descriptors: the kernel completes them from the
            // backlog, the child accepts until EMFILE. TLS: each client shakes hands as it comes, so
            // the child's connections are established ones when EMFILE starts (their close path is
            // first run at EMFILE); from the first handshake that fails or times out (its connection
            // waits in the backlog, or the child could not take it), the rest only connect, and
            // those the child takes later end before their handshake (the failure path).
            SocketFactory factory = mode == ChildMode.TLS ? TlsMaterial.client().getSocketFactory() : SocketFactory.getDefault();
            boolean handshaking = mode == ChildMode.TLS;
            for (int i = 0; i < FD_LIMIT + 100; i++) {
                Socket socket = handshaking ? factory.createSocket() : new Socket();
                clients.add(socket);
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
                if (handshaking) {
                    handshaking = handshake((SSLSocket) socket);
                }
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
            // A close that survives a failed load still skips a step (e.g. the half-close) for good.
            assertThat(classLoadFailures).as("classes the child failed to load").isEmpty();
            // ...and no loop thread spins with nothing left to serve (a spinning one uses 100 ticks a
            // second; the loop threads alone, as the JIT may still be compiling after the burst).
            long loopTicksBefore = loopThreadTicks(child.pid());
            TimeUnit.SECONDS.sleep(1); // the measurement window, not a synchronisation
            assertThat(loopThreadTicks(child.pid()) - loopTicksBefore)
                    .as("loop threads' CPU ticks (1/100 s) in 1 s with no client left").isLessThan(10);
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

    /** Whether a TLS handshake completes within a second (it does not once the child is at EMFILE). */
    private static boolean handshake(SSLSocket socket) throws IOException {
        socket.setSoTimeout(1000);
        try {
            socket.startHandshake();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Asks the child for its counters until {@code done} holds (bounded): accepted, errors, active, paused. */
    private long[] awaitStats(BufferedReader out, PrintWriter in, java.util.function.Predicate<long[]> done)
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
    private String nextLine(BufferedReader out, String prefix) throws IOException {
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith(prefix)) {
                return line;
            }
            if (line.contains("NoClassDefFoundError") && classLoadFailures.size() < 10) {
                classLoadFailures.add(line);
            }
            System.out.println("child: " + line);
        }
        throw new IOException("the child ended before printing " + prefix);
    }

    /**
     * This test's class path with the build's own jars (verypoll-*.jar in a module's target) swapped
     * for their classes directories: an open jar still serves a class at EMFILE, a directory does
     * not, so every verypoll class is loaded the hard way whichever phase built the class path.
     */
    private static String childClassPath() {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator)).map(entry -> {
            Path jar = Path.of(entry);
            Path classes = jar.resolveSibling("classes");
            boolean ownJar = entry.endsWith(".jar") && jar.getFileName().toString().startsWith("verypoll-");
            return ownJar && Files.isDirectory(classes) ? classes.toString() : entry;
        }).collect(Collectors.joining(File.pathSeparator));
    }

    /** utime + stime of a process, in clock ticks, from /proc/PID/stat (fields 14 and 15). */
    private static long cpuTicks(long pid) throws IOException {
        return ticks(Path.of("/proc/" + pid + "/stat"));
    }

    /** utime + stime of the child's threads named verypoll-loop-N (/proc/PID/task/TID). */
    private static long loopThreadTicks(long pid) throws IOException {
        long ticks = 0;
        int loops = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    if (Files.readString(task.resolve("comm")).startsWith("verypoll-loop")) {
                        ticks += ticks(task.resolve("stat"));
                        loops++;
                    }
                } catch (NoSuchFileException e) {
                    // a thread (not a loop's) that ended meanwhile
                }
            }
        }
        if (loops == 0) {
            throw new IllegalStateException("no thread named verypoll-loop-N in process " + pid);
        }
        return ticks;
    }

    /** utime + stime (fields 14 and 15) of a /proc stat file. */
    private static long ticks(Path statFile) throws IOException {
        String stat = Files.readString(statFile);
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }
}
