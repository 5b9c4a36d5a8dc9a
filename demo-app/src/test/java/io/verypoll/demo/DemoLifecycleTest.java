package io.verypoll.demo;

import io.verypoll.spring.boot.context.VerypollLifecycle;
import io.verypoll.spring.boot.server.CloseReason;
import io.verypoll.spring.boot.server.TcpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Starting and stopping the demo: graceful drain, nothing left behind. Each test owns its context. */
@Timeout(120)
class DemoLifecycleTest {

    // Own threads for blocking helpers: the common pool may have a single thread on two cores.
    private final java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newCachedThreadPool();

    @AfterEach
    void stopHelperThreads() {
        threads.shutdownNow();
    }

    private static ConfigurableApplicationContext startDemo(String... extra) {
        String[] base = {"verypoll.loops=2", "verypoll.servers.echo.port=0", "verypoll.servers.chat.port=0",
                "verypoll.servers.udp-echo.port=0", "verypoll.servers.tls-echo.port=0", "verypoll.servers.resp.port=0",
                "verypoll.servers.proxy.port=0", "spring.main.banner-mode=off"};
        // Command-line arguments: they win over application.properties, as the test means them to.
        String[] args = Stream.concat(Arrays.stream(base), Arrays.stream(extra)).map(p -> "--" + p)
                .toArray(String[]::new);
        return new SpringApplicationBuilder(DemoApplication.class).web(WebApplicationType.NONE).run(args);
    }

    private static int echoPort(ConfigurableApplicationContext context) {
        return context.getEnvironment().getRequiredProperty("local.verypoll.echo.port", Integer.class);
    }

    private static Socket connect(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    private static List<String> verypollThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(name -> name.startsWith("verypoll-")).toList();
    }

    private static long openFds() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    /** What each open descriptor is (a socket, a jar, a pipe): says which one survived when the count is off. */
    private static List<String> fdTargets() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.map(fd -> {
                try {
                    return fd.getFileName() + "->" + Files.readSymbolicLink(fd);
                } catch (IOException e) {
                    return fd.getFileName() + " (gone)";
                }
            }).sorted().toList();
        } catch (IOException e) {
            return List.of("unreadable: " + e);
        }
    }

    private static void useEveryServer(ConfigurableApplicationContext context) throws Exception {
        try (Socket echo = connect(echoPort(context))) {
            echo.getOutputStream().write("abc".getBytes(StandardCharsets.UTF_8));
            assertThat(echo.getInputStream().readNBytes(3)).isEqualTo("abc".getBytes(StandardCharsets.UTF_8));
        }
        int proxyPort = context.getEnvironment().getRequiredProperty("local.verypoll.proxy.port", Integer.class);
        try (Socket proxied = connect(proxyPort)) {
            proxied.getOutputStream().write("xyz".getBytes(StandardCharsets.UTF_8));
            assertThat(proxied.getInputStream().readNBytes(3)).isEqualTo("xyz".getBytes(StandardCharsets.UTF_8));
        }
        int chatPort = context.getEnvironment().getRequiredProperty("local.verypoll.chat.port", Integer.class);
        try (Socket chat = connect(chatPort)) {
            chat.getOutputStream().write("hi\n".getBytes(StandardCharsets.UTF_8));
            // A connection left open on purpose: shutdown must close it.
            assertThat(new String(chat.getInputStream().readNBytes(8), StandardCharsets.UTF_8)).isEqualTo("* welcom");
            Socket leftOpen = connect(echoPort(context));
            leftOpen.getOutputStream().write(1);
            assertThat(leftOpen.getInputStream().read()).isEqualTo(1);
            context.close();
            assertThat(leftOpen.getInputStream().read()).isEqualTo(-1);
            leftOpen.close();
        }
    }

    // O-THREAD and O-FD: after close, no verypoll thread and exactly the file descriptors of before.
    @Test
    void noThreadOrFileDescriptorSurvivesTheContext() throws Exception {
        // Warm-up: load classes and open the jars once, so the baseline includes them.
        useEveryServer(startDemo("verypoll.shutdown-timeout=0s"));
        await().atMost(Duration.ofSeconds(5)).until(() -> verypollThreads().isEmpty());
        // The JVM may still release a descriptor of the warm-up (a jar, say): take a settled count.
        long[] last = {-1};
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100)).until(() -> {
            long now = openFds();
            boolean settled = now == last[0];
            last[0] = now;
            return settled;
        });
        long baseline = openFds();
        List<String> before = fdTargets();

        ConfigurableApplicationContext context = startDemo("verypoll.shutdown-timeout=0s");
        assertThat(verypollThreads()).contains("verypoll-loop-0", "verypoll-loop-1", "verypoll-watchdog");
        assertThat(openFds()).isGreaterThan(baseline);
        useEveryServer(context);

        // context.close() returned inside useEveryServer: the threads must already be gone.
        assertThat(verypollThreads()).isEmpty();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(openFds())
                .as(() -> "open descriptors now " + fdTargets() + ", before " + before).isEqualTo(baseline));
    }

    // O-BYTES on shutdown: bytes the server had accepted to send reach the client before the close.
    @Test
    void gracefulShutdownDrainsAnInFlightWrite() throws Exception {
        ConfigurableApplicationContext context = startDemo("verypoll.shutdown-timeout=20s");
        TcpServer echo = context.getBean("echo", TcpServer.class);
        VerypollLifecycle lifecycle = context.getBean(VerypollLifecycle.class);
        byte[] sent = new byte[8 * 1024 * 1024];
        new Random(3).nextBytes(sent);
        Socket socket = new Socket();
        socket.setReceiveBufferSize(8 * 1024);
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), echoPort(context)), 5000);
        socket.setSoTimeout(20_000);
        try (socket) {
            // Send without reading: the echo backs up until the server holds bytes it cannot send.
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    for (int i = 0; i < sent.length; i += 16 * 1024) {
                        out.write(sent, i, 16 * 1024);
                    }
                } catch (IOException e) {
                    // The server stops reading at shutdown and closes once drained: expected.
                }
            }, threads);
            await().atMost(Duration.ofSeconds(20)).until(() -> echo.pendingBytes() > 0);

            CompletableFuture<Void> closing = CompletableFuture.runAsync(context::close, threads);
            await().atMost(Duration.ofSeconds(10)).until(() -> !echo.isRunning());

            InputStream in = socket.getInputStream();
            byte[] received = in.readAllBytes();
            closing.get(30, TimeUnit.SECONDS);
            writer.get(30, TimeUnit.SECONDS);

            assertThat(received.length).isGreaterThan(0);
            assertThat(received.length).isEqualTo(echo.bytesReceived()).isEqualTo(echo.bytesSent());
            assertThat(Arrays.mismatch(received, Arrays.copyOf(sent, received.length))).isEqualTo(-1);
            assertThat(echo.closedConnections(CloseReason.SHUTDOWN)).isEqualTo(1);
            assertThat(echo.closedConnections(CloseReason.SHUTDOWN_FORCED)).isZero();
            assertThat(lifecycle.forcedClosed()).isZero();
        } finally {
            context.close();
        }
    }

    @Test
    void shutdownTimeoutForcesAndCountsAConnectionThatNeverReads() throws Exception {
        ConfigurableApplicationContext context = startDemo("verypoll.shutdown-timeout=300ms");
        TcpServer echo = context.getBean("echo", TcpServer.class);
        VerypollLifecycle lifecycle = context.getBean(VerypollLifecycle.class);
        Socket socket = new Socket();
        socket.setReceiveBufferSize(8 * 1024);
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), echoPort(context)), 5000);
        try (socket) {
            CompletableFuture.runAsync(() -> {
                try {
                    byte[] chunk = new byte[16 * 1024];
                    for (int i = 0; i < 512; i++) {
                        socket.getOutputStream().write(chunk);
                    }
                } catch (IOException e) {
                    // closed by the forced shutdown
                }
            }, threads);
            await().atMost(Duration.ofSeconds(20)).until(() -> echo.pendingBytes() > 0);
            long start = System.nanoTime();
            context.close();
            assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(10));
            assertThat(echo.closedConnections(CloseReason.SHUTDOWN_FORCED)).isEqualTo(1);
            assertThat(lifecycle.forcedClosed()).isEqualTo(1);
            assertThat(verypollThreads()).isEmpty();
        } finally {
            context.close();
        }
    }
}
