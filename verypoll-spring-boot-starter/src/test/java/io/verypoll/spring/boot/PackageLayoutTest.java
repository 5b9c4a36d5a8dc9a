package io.verypoll.spring.boot;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Imports flow one way: autoconfigure → actuate → context → server → frame, loop → verypoll-core,
 * and no class of the starter reaches into core's internals. {@code frame} uses the JDK alone, so it
 * can be read (and reused) without the rest. Read from the sources, so a wrong import fails here
 * with the file that has it.
 */
class PackageLayoutTest {

    private static final Path SOURCES = Path.of("src/main/java/io/verypoll/spring/boot");
    private static final String BASE = "io.verypoll.spring.boot.";
    private static final Map<String, Integer> RANK = Map.of(
            "loop", 0, "frame", 1, "server", 2, "context", 3, "actuate", 4, "autoconfigure", 5);
    /** Packages that may use nothing but the JDK: no core, no Spring, no other starter package. */
    private static final List<String> JDK_ONLY = List.of("frame");
    private static final Pattern NON_JDK = Pattern.compile("\\b(?:io\\.verypoll|io\\.micrometer|org\\.springframework|org\\.apache)\\.");
    private static final Pattern PACKAGE = Pattern.compile("^package io\\.verypoll\\.spring\\.boot\\.(\\w+);", Pattern.MULTILINE);
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?([\\w.]+)(?:\\.\\*)?;", Pattern.MULTILINE);

    @Test
    void everyClassLivesInOneOfTheRolePackages() throws IOException {
        try (Stream<Path> files = Files.list(SOURCES)) {
            assertThat(files.filter(Files::isRegularFile).toList()).as("classes outside the role packages").isEmpty();
        }
        try (Stream<Path> dirs = Files.list(SOURCES)) {
            assertThat(dirs.map(d -> d.getFileName().toString()).toList()).containsExactlyInAnyOrderElementsOf(RANK.keySet());
        }
        for (String pkg : RANK.keySet()) {
            assertThat(SOURCES.resolve(pkg).resolve("package-info.java")).as("package-info of " + pkg).exists();
        }
    }

    @Test
    void importsFlowOneWay() throws IOException {
        List<String> violations = new ArrayList<>();
        List<Path> sources;
        try (Stream<Path> files = Files.walk(SOURCES)) {
            sources = files.filter(p -> p.toString().endsWith(".java")).toList();
        }
        assertThat(sources).hasSizeGreaterThan(30);
        for (Path source : sources) {
            String text = Files.readString(source);
            Matcher pkg = PACKAGE.matcher(text);
            assertThat(pkg.find()).as("package of " + source).isTrue();
            int rank = RANK.get(pkg.group(1));
            boolean jdkOnly = JDK_ONLY.contains(pkg.group(1));
            Matcher imports = IMPORT.matcher(text);
            while (imports.find()) {
                String imported = imports.group(1);
                if (jdkOnly && !imported.startsWith("java.")) {
                    violations.add(source + " (" + pkg.group(1) + ", JDK only) imports " + imported);
                }
                if (imported.startsWith("io.verypoll.internal")) {
                    violations.add(source + " imports core internals: " + imported);
                }
                if (imported.startsWith(BASE)) {
                    String target = imported.substring(BASE.length()).split("\\.")[0];
                    Integer targetRank = RANK.get(target);
                    if (targetRank == null || targetRank > rank) {
                        violations.add(source + " (" + pkg.group(1) + ") imports " + imported);
                    }
                }
            }
            // Fully qualified references bypass imports: catch them too.
            if (jdkOnly && NON_JDK.matcher(text.replace(BASE + pkg.group(1), "")).find()) {
                violations.add(source + " (" + pkg.group(1) + ", JDK only) names a non-JDK package in its code");
            }
            for (String other : RANK.keySet()) {
                if (RANK.get(other) > rank && text.contains(BASE + other + ".")) {
                    violations.add(source + " names " + BASE + other + " in its code");
                }
            }
        }
        assertThat(violations).isEmpty();
    }
}
