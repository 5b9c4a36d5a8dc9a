package io.verypoll.epoll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The jar as a module, in child JVMs: verypoll-core's {@code uses} finds this module's {@code
 * provides}, the seam is exported to it, and the native-access message names the module. Runs in
 * the package phase (its own Surefire execution), once the jar with its descriptor exists.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ModulePathTest {
    private static List<String> args(String... more) {
        String jar = System.getProperty("verypoll.test.epollJar", "");
        assumeTrue(Files.isRegularFile(Path.of(jar)), "runs on the packaged jar (the package phase)");
        String[] cp = System.getProperty("java.class.path").split(File.pathSeparator);
        String core = Arrays.stream(cp).filter(e -> e.matches(".*verypoll-core[^/]*\\.jar") && !e.endsWith("-tests.jar"))
                .findFirst().orElseThrow(() -> new AssertionError("no verypoll-core jar on " + Arrays.toString(cp)));
        String probe = Arrays.stream(cp).filter(e -> e.endsWith("-tests.jar") && e.contains("verypoll-core"))
                .findFirst().orElseThrow(() -> new AssertionError("no verypoll-core tests jar on " + Arrays.toString(cp)));
        List<String> all = new java.util.ArrayList<>(List.of(more));
        all.addAll(List.of("--module-path", core + File.pathSeparator + jar, "--add-modules", "io.verypoll.epoll",
                // the probe (class path) asks which backend it got
                "--add-exports", "io.verypoll/io.verypoll.internal=ALL-UNNAMED",
                "-cp", probe));
        return all;
    }

    @Test
    void theModuleProvidesTheBackend() throws Exception {
        ChildJvm run = ChildJvm.run(ChildJvm.THIS_JAVA, args("-Dverypoll.backend=epoll", "--enable-native-access=io.verypoll.epoll"));
        assertThat(run.quiet().verdict()).isEqualTo("backend epoll works");
    }

    @Test
    void withoutNativeAccessTheMessageNamesTheModule() throws Exception {
        ChildJvm run = ChildJvm.run(ChildJvm.THIS_JAVA, args("-Dverypoll.backend=epoll"));
        assertThat(run.quiet().verdict()).contains("--enable-native-access=io.verypoll.epoll");
    }

    @Test
    void autoOnTheModulePath() throws Exception {
        assertThat(ChildJvm.run(ChildJvm.THIS_JAVA, args("-Dverypoll.backend=auto", "--enable-native-access=io.verypoll.epoll"))
                .quiet().verdict()).isEqualTo("backend epoll works");
        assertThat(ChildJvm.run(ChildJvm.THIS_JAVA, args("-Dverypoll.backend=auto")).quiet().verdict())
                .isEqualTo("backend nio works");
    }
}
