package io.verypoll.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A JDK 22 or later on this machine, for child JVMs on the epoll backend; where Maven's toolchains
 * plugin looks too: {@code -Dverypoll.test.jdk22}, this JVM, {@code JAVA_HOME} and {@code JAVA*_HOME},
 * {@code /usr/lib/jvm}, {@code /usr/java}, {@code /opt/java} and SDKMAN's candidates. Versions are read
 * from each JDK's {@code release} file, without starting it.
 */
final class Jdk22 {
    private static final Pattern VERSION = Pattern.compile("^JAVA_VERSION=\"(\\d+)", Pattern.MULTILINE);

    private Jdk22() {
    }

    /** The home of the newest JDK 22+ found, or null. */
    static Path find() {
        List<Path> candidates = new ArrayList<>();
        String given = System.getProperty("verypoll.test.jdk22", "");
        if (!given.isBlank()) {
            candidates.add(Path.of(given));
        }
        candidates.add(Path.of(System.getProperty("java.home")));
        for (Map.Entry<String, String> env : System.getenv().entrySet()) {
            if (env.getKey().matches("JAVA(\\d*|_\\d+.*)_HOME") && !env.getValue().isBlank()) {
                candidates.add(Path.of(env.getValue()));
            }
        }
        for (String root : List.of("/usr/lib/jvm", "/usr/java", "/opt/java",
                System.getProperty("user.home") + "/.sdkman/candidates/java")) {
            Path dir = Path.of(root);
            if (Files.isDirectory(dir)) {
                try (Stream<Path> homes = Files.list(dir)) {
                    homes.sorted().forEach(candidates::add);
                } catch (IOException e) {
                    // not readable: not a candidate
                }
            }
        }
        Path best = null;
        int bestFeature = 21;
        for (Path home : candidates) {
            int feature = feature(home);
            if (feature > bestFeature && Files.isExecutable(home.resolve("bin").resolve("java"))) {
                best = home;
                bestFeature = feature;
            }
        }
        return best;
    }

    /** The feature version in {@code home/release}, or 0. */
    static int feature(Path home) {
        try {
            Matcher m = VERSION.matcher(Files.readString(home.resolve("release")));
            return m.find() ? Integer.parseInt(m.group(1)) : 0;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
