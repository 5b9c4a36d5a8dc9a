package io.verypoll.epoll;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs {@code io.verypoll.probe.ChoiceProbe} in another JVM, bounded, and keeps what it printed. */
record ChildJvm(String out, String err) {
    /** The java of this JVM (22+). */
    static final String THIS_JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    static ChildJvm run(String java, List<String> jvmArgs) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(jvmArgs);
        command.add("io.verypoll.probe.ChoiceProbe");
        Path out = Files.createTempFile("probe", ".out");
        Path err = Files.createTempFile("probe", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("child JVM still running after 30 s: " + command);
            }
            return new ChildJvm(Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** The probe's verdict: its line of standard output (-verbose:class prints there too). */
    String verdict() {
        return out.lines().filter(l -> l.startsWith("backend ") || l.startsWith("failed: ")).findFirst()
                .orElseThrow(() -> new AssertionError("no verdict in: " + out + err));
    }

    /** Nothing on standard error: no warning of the JDK's either. */
    ChildJvm quiet() {
        assertThat(err).as("standard error of the child JVM").isEmpty();
        return this;
    }
}
