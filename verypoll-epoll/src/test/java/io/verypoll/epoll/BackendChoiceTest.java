package io.verypoll.epoll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * -Dverypoll.backend, once per JVM, in child JVMs on the class path: nio by default; epoll when
 * asked, or a message naming what is missing; auto takes epoll only where it works, NIO silently
 * otherwise. Never the JDK's restricted-method warning, and a JVM older than 22 never loads a class
 * of this module.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BackendChoiceTest {
    private static final String CP = System.getProperty("java.class.path");

    private static List<String> args(String... more) {
        List<String> all = new java.util.ArrayList<>(List.of(more));
        all.addAll(List.of("-cp", CP));
        return all;
    }

    @Test
    void nioByDefault() throws Exception {
        assertThat(ChildJvm.run(ChildJvm.THIS_JAVA, args()).quiet().verdict()).isEqualTo("backend nio works");
    }

    @Test
    void epollWhenAsked() throws Exception {
        ChildJvm run = ChildJvm.run(ChildJvm.THIS_JAVA, args("-Dverypoll.backend=epoll", "--enable-native-access=ALL-UNNAMED"));
        assertThat(run.quiet().verdict()).isEqualTo("backend epoll works");
    }

    @Test
    void epollWithoutNativeAccessSaysWhichFlag() throws Exception {
        ChildJvm run = ChildJvm.run(ChildJvm.THIS_JAVA, args("-Dverypoll.backend=epoll"));
        assertThat(run.quiet().verdict()).startsWith("failed: java.lang.IllegalStateException: -Dverypoll.backend=epoll cannot be used")
                .contains("--enable-native-access=ALL-UNNAMED");
    }

    @Test
    void autoIsEpollWhereItWorks() throws Exception {
        ChildJvm run = ChildJvm.run(ChildJvm.THIS_JAVA, args("-Dverypoll.backend=auto", "--enable-native-access=ALL-UNNAMED"));
        assertThat(run.quiet().verdict()).isEqualTo("backend epoll works");
    }

    @Test
    void autoWithoutNativeAccessIsNioSilently() throws Exception {
        ChildJvm run = ChildJvm.run(ChildJvm.THIS_JAVA, args("-Dverypoll.backend=auto"));
        assertThat(run.quiet().verdict()).isEqualTo("backend nio works");
    }

    @Test
    void deniedNativeAccessIsRefusedBeforeAnyRestrictedCall() throws Exception {
        assumeTrue(Runtime.version().feature() >= 24, "--illegal-native-access came with Java 24");
        ChildJvm run = ChildJvm.run(ChildJvm.THIS_JAVA, args("-Dverypoll.backend=epoll", "--illegal-native-access=deny"));
        assertThat(run.quiet().verdict()).contains("--enable-native-access=ALL-UNNAMED");
    }

    @Test
    void anUnknownBackendIsRefused() throws Exception {
        ChildJvm run = ChildJvm.run(ChildJvm.THIS_JAVA, args("-Dverypoll.backend=kqueue"));
        assertThat(run.quiet().verdict()).contains("kqueue is not a backend; use nio, epoll or auto");
    }

    /**
     * The JDK Maven runs on, when it is older than 22 (Java 17 here): auto is NIO, and not one class
     * of this module is loaded (its classes are for Java 22: loading one would fail).
     */
    @Test
    void anOlderJavaNeverLoadsThisModule() throws Exception {
        String home = System.getProperty("verypoll.test.mavenJavaHome", "");
        Path java = Path.of(home, "bin", "java");
        assumeTrue(!home.isEmpty() && Files.isExecutable(java), "Maven's java is unknown");
        ChildJvm version = ChildJvm.run(java.toString(), List.of("-XshowSettings:properties", "-version"));
        assumeTrue(version.err().contains("java.specification.version = 17")
                || version.err().matches("(?s).*java.specification.version = (1[7-9]|2[01])\\b.*"),
                "Maven runs on Java 22 or later here");

        ChildJvm auto = ChildJvm.run(java.toString(), args("-Dverypoll.backend=auto", "-verbose:class"));
        assertThat(auto.verdict()).isEqualTo("backend nio works");
        assertThat(auto.out()).as("classes loaded").contains("io.verypoll.internal.SelectedBackend")
                .doesNotContain("io.verypoll.epoll.");

        ChildJvm epoll = ChildJvm.run(java.toString(), args("-Dverypoll.backend=epoll"));
        assertThat(epoll.quiet().verdict()).contains("cannot be used: it needs Java 22 or later");
    }
}
