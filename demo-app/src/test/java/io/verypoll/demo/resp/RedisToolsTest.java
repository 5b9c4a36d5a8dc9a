package io.verypoll.demo.resp;

import io.verypoll.spring.boot.server.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real clients against the demo's RESP server, when the machine has them (Debian's
 * redis-tools): redis-cli's commands (DEBUG SLEEP and a 1 MiB value among them) and short
 * redis-benchmark runs (small values, 64 KiB values, the offloaded command), without an error. Skipped, with
 * a message saying so, where they are not installed (CI installs nothing).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE, properties = {
        "verypoll.loops=2",
        "verypoll.shutdown-timeout=0s",
        "verypoll.server-defaults.port=0"})
@Timeout(120)
@EnabledIf(value = "redisToolsInstalled", disabledReason = "redis-cli and redis-benchmark are not on the PATH"
        + " (Debian: apt-get install redis-tools): skipped")
class RedisToolsTest {

    @Value("${local.verypoll.resp.port}")
    int port;

    @Autowired
    @Qualifier("resp")
    TcpServer resp;

    static boolean redisToolsInstalled() {
        return onPath("redis-cli") && onPath("redis-benchmark");
    }

    private static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Runs a tool to its end (at most 60 s); returns its exit code and output, stdout and stderr together. */
    private static Result run(String... command) throws IOException, InterruptedException {
        return run(null, command);
    }

    /** {@link #run(String...)} with {@code input} as the tool's stdin (null: none). */
    private static Result run(Path input, String... command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (input != null) {
            builder.redirectInput(input.toFile());
        }
        Process process = builder.start();
        if (input == null) {
            process.getOutputStream().close();
        }
        // Read on a thread of its own, so that the wait below bounds a tool that hangs.
        byte[][] output = {new byte[0]};
        Thread reader = new Thread(() -> {
            try {
                output[0] = process.getInputStream().readAllBytes();
            } catch (IOException e) {
                // the process was destroyed: keep what came
            }
        });
        reader.start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish within 60 s");
        }
        reader.join(10_000);
        return new Result(process.exitValue(), new String(output[0], StandardCharsets.UTF_8));
    }

    record Result(int exit, String output) {
    }

    private Result cli(String... arguments) throws Exception {
        return cliWithInput(null, arguments);
    }

    private Result cliWithInput(Path input, String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(port)));
        command.addAll(List.of(arguments));
        return run(input, command.toArray(String[]::new));
    }

    @Test
    void redisCliTalksToTheDemo() throws Exception {
        assertThat(cli("ping")).isEqualTo(new Result(0, "PONG\n"));
        assertThat(cli("set", "tools:k", "hello world")).isEqualTo(new Result(0, "OK\n"));
        assertThat(cli("get", "tools:k")).isEqualTo(new Result(0, "hello world\n"));
        assertThat(cli("incr", "tools:n")).isEqualTo(new Result(0, "1\n"));
        assertThat(cli("exists", "tools:k", "tools:n", "tools:none")).isEqualTo(new Result(0, "2\n"));
        assertThat(cli("del", "tools:k")).isEqualTo(new Result(0, "1\n"));
        assertThat(cli("config", "get", "appendonly")).isEqualTo(new Result(0, "appendonly\nno\n"));
        assertThat(cli("echo", "bye")).isEqualTo(new Result(0, "bye\n"));
        assertThat(resp.handlerErrors()).isZero();
    }

    @Test
    void aShortRedisBenchmarkRunsWithoutErrors() throws Exception {
        Result result = run("redis-benchmark", "-h", "127.0.0.1", "-p", Integer.toString(port), "-q", "-n", "2000",
                "-c", "10", "-P", "4", "-t", "set,get,incr");
        assertThat(result.exit()).as(result.output()).isZero();
        assertThat(result.output()).contains("SET: ").contains("GET: ").contains("INCR: ")
                .containsPattern("INCR: [0-9.]+ requests per second")
                .doesNotContainIgnoringCase("error").doesNotContain("ERR").doesNotContainIgnoringCase("warning");
        assertThat(resp.handlerErrors()).isZero();
    }

    @Test
    void redisCliSleepsOnTheExecutorAndCarriesAMebibyteValue(@TempDir Path dir) throws Exception {
        assertThat(cli("debug", "sleep", "0.05")).isEqualTo(new Result(0, "OK\n"));
        StringBuilder text = new StringBuilder(1 << 20);
        Random random = new Random(5);
        while (text.length() < 1 << 20) {
            text.append((char) ('a' + random.nextInt(26)));
        }
        Path file = dir.resolve("value.txt");
        Files.writeString(file, text, StandardCharsets.US_ASCII);
        // -x: the last argument is read from stdin.
        assertThat(cliWithInput(file, "-x", "set", "tools:big")).isEqualTo(new Result(0, "OK\n"));
        assertThat(cli("get", "tools:big")).isEqualTo(new Result(0, text + "\n"));
        assertThat(resp.handlerErrors()).isZero();
    }

    @Test
    void shortRedisBenchmarksOfLargeValuesAndTheOffloadedCommandRunWithoutErrors() throws Exception {
        Result values = run("redis-benchmark", "-h", "127.0.0.1", "-p", Integer.toString(port), "-q", "-n", "200",
                "-c", "4", "-d", "65536", "-t", "set,get");
        assertThat(values.exit()).as(values.output()).isZero();
        assertThat(values.output()).containsPattern("SET: [0-9.]+ requests per second")
                .containsPattern("GET: [0-9.]+ requests per second")
                .doesNotContainIgnoringCase("error").doesNotContain("ERR");
        Result sleeps = run("redis-benchmark", "-h", "127.0.0.1", "-p", Integer.toString(port), "-q", "-n", "500",
                "-c", "10", "-P", "4", "debug", "sleep", "0");
        assertThat(sleeps.exit()).as(sleeps.output()).isZero();
        assertThat(sleeps.output()).containsPattern("debug sleep 0: [0-9.]+ requests per second")
                .doesNotContainIgnoringCase("error").doesNotContain("ERR");
        assertThat(resp.handlerErrors()).isZero();
    }
}
