package io.verypoll.spring.boot.autoconfigure;

import io.micrometer.core.instrument.MeterRegistry;
import io.verypoll.spring.boot.frame.FrameDecoders;
import io.verypoll.spring.boot.server.CloseReason;
import io.verypoll.spring.boot.server.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.task.TaskExecutionAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * Where offloaded work runs in a Boot context: on Boot's {@code applicationTaskExecutor} (virtual
 * threads with {@code spring.threads.virtual.enabled=true}, on JDK 21+), unless the builder names an
 * executor, else on a pool of the server's own that ends with the context; and the shutdown rule
 * through the real lifecycle: closing the context waits for the work up to the shutdown timeout,
 * then interrupts it and counts the dropped replies.
 */
@Timeout(60)
class OffloadAutoConfigurationTest {

    private static final Duration WAIT = Duration.ofSeconds(15);

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withPropertyValues("verypoll.loops=2", "verypoll.shutdown-timeout=500ms")
            .withConfiguration(AutoConfigurations.of(VerypollAutoConfiguration.class, TaskExecutionAutoConfiguration.class,
                    VerypollMetricsAutoConfiguration.class, MetricsAutoConfiguration.class,
                    CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class))
            .withUserConfiguration(LineServer.class);

    /** What the work saw: its threads, its completion order, an interrupt; blocking work waits for the gate. */
    static final class WorkLog {
        final List<Thread> threads = new CopyOnWriteArrayList<>();
        final List<Integer> completed = new CopyOnWriteArrayList<>();
        final CountDownLatch gate = new CountDownLatch(1);
        final AtomicInteger started = new AtomicInteger();
        final AtomicInteger interrupted = new AtomicInteger();

        String work(String request) throws InterruptedException {
            threads.add(Thread.currentThread());
            started.incrementAndGet();
            if (request.equals("block")) {
                try {
                    gate.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    interrupted.incrementAndGet();
                    throw e;
                }
            } else {
                TimeUnit.MICROSECONDS.sleep(ThreadLocalRandom.current().nextInt(2_000)); // out of order, on purpose
                completed.add(Integer.parseInt(request));
            }
            return request;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class LineServer {
        @Bean
        WorkLog workLog() {
            return new WorkLog();
        }

        @Bean
        TcpServer lines(WorkLog log) {
            return TcpServer.builder().port(0).decoder(FrameDecoders.lines(64)).messageHandler((c, line) -> {
                String request = StandardCharsets.US_ASCII.decode(line).toString();
                c.offload(() -> log.work(request), (conn, value) ->
                        conn.write(ByteBuffer.wrap((value + "\n").getBytes(StandardCharsets.US_ASCII))));
            }).build();
        }
    }

    private static List<String> exchange(TcpServer server, int count) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(20_000);
            StringBuilder requests = new StringBuilder();
            for (int i = 0; i < count; i++) {
                requests.append(i).append('\n');
            }
            socket.getOutputStream().write(requests.toString().getBytes(StandardCharsets.US_ASCII));
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            List<String> replies = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                replies.add(in.readLine());
            }
            return replies;
        }
    }

    private static List<String> numbers(int count) {
        List<String> numbers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            numbers.add(Integer.toString(i));
        }
        return numbers;
    }

    private static void assertOutOfOrderCompletion(WorkLog log, int count) {
        List<Integer> sorted = new ArrayList<>(log.completed);
        sorted.sort(null);
        assertThat(log.completed).as("the work completed out of order").hasSize(count).isNotEqualTo(sorted);
    }

    @Test
    void offloadedWorkRunsOnBootsApplicationTaskExecutorAndRepliesInOrder() {
        runner.run(context -> {
            TcpServer server = context.getBean(TcpServer.class);
            WorkLog log = context.getBean(WorkLog.class);
            assertThat(server.offloadExecutor()).isSameAs(context.getBean("applicationTaskExecutor"));
            assertThat(exchange(server, 300)).containsExactlyElementsOf(numbers(300));
            assertOutOfOrderCompletion(log, 300);
            assertThat(log.threads).allSatisfy(t -> assertThat(t.getName()).startsWith("task-"));
        });
    }

    @Test
    void withVirtualThreadsEnabledTheWorkRunsOnVirtualThreadsAndAThousandPipelinedRepliesStayInOrder() {
        assumeThat(Runtime.version().feature()).as("virtual threads need JDK 21+; this JVM is %s: skipped",
                Runtime.version()).isGreaterThanOrEqualTo(21);
        runner.withPropertyValues("spring.threads.virtual.enabled=true").run(context -> {
            TcpServer server = context.getBean(TcpServer.class);
            WorkLog log = context.getBean(WorkLog.class);
            assertThat(server.offloadExecutor()).isSameAs(context.getBean("applicationTaskExecutor"));
            assertThat(exchange(server, 1000)).containsExactlyElementsOf(numbers(1000));
            assertOutOfOrderCompletion(log, 1000);
            assertThat(log.threads).hasSize(1000).allSatisfy(t -> assertThat(isVirtual(t)).as(t.toString()).isTrue());
        });
    }

    /** {@code Thread.isVirtual()}, called reflectively: the build compiles for JDK 17. */
    private static boolean isVirtual(Thread thread) {
        try {
            return (Boolean) Thread.class.getMethod("isVirtual").invoke(thread);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void anExecutorGivenToTheBuilderWins() {
        ExecutorService own = Executors.newFixedThreadPool(2, work -> new Thread(work, "mine"));
        try {
            runner.withBean("mine", TcpServer.class, () -> TcpServer.builder().port(0).offloadExecutor(own)
                    .decoder(FrameDecoders.lines(64)).messageHandler((c, line) -> c.offload(
                            () -> Thread.currentThread().getName(),
                            (conn, name) -> conn.write((name + "\n").getBytes(StandardCharsets.US_ASCII))))
                    .build()).run(context -> {
                        TcpServer server = context.getBean("mine", TcpServer.class);
                        assertThat(server.offloadExecutor()).isSameAs(own);
                        assertThat(exchange(server, 3)).containsOnly("mine");
                    });
        } finally {
            own.shutdownNow();
        }
    }

    @Test
    void withoutAnApplicationTaskExecutorAServerUsesAPoolOfItsOwnThatEndsWithTheContext() {
        new ApplicationContextRunner().withPropertyValues("verypoll.loops=1", "verypoll.shutdown-timeout=0s")
                .withConfiguration(AutoConfigurations.of(VerypollAutoConfiguration.class))
                .withUserConfiguration(LineServer.class).run(context -> {
                    TcpServer server = context.getBean(TcpServer.class);
                    WorkLog log = context.getBean(WorkLog.class);
                    assertThat(context).doesNotHaveBean("applicationTaskExecutor");
                    assertThat((Executor) server.offloadExecutor()).isNull();
                    assertThat(exchange(server, 50)).containsExactlyElementsOf(numbers(50));
                    assertThat(log.threads).allSatisfy(t -> assertThat(t.getName()).startsWith("verypoll-offload-lines-"));
                });
        await().atMost(WAIT).until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.isAlive() && t.getName().startsWith("verypoll-offload-lines-")));
    }

    @Test
    void closingTheContextWaitsForWorkUpToTheShutdownTimeoutThenInterruptsItAndCountsTheDrop() throws Exception {
        TcpServer[] server = new TcpServer[1];
        WorkLog[] log = new WorkLog[1];
        Socket socket = new Socket();
        long closedAfterMillis;
        try {
            long[] closeStarted = new long[1];
            runner.run(context -> {
                server[0] = context.getBean(TcpServer.class);
                log[0] = context.getBean(WorkLog.class);
                MeterRegistry registry = context.getBean(MeterRegistry.class);
                socket.connect(new java.net.InetSocketAddress("127.0.0.1", server[0].port()), 2000);
                socket.setSoTimeout(20_000);
                socket.getOutputStream().write("block\n".getBytes(StandardCharsets.US_ASCII));
                await().atMost(WAIT).until(() -> log[0].started.get() == 1);
                assertThat(registry.get("verypoll.offload.in.flight").tag("server", "lines").gauge().value()).isOne();
                closeStarted[0] = System.nanoTime();
            }); // the runner closes the context here
            closedAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closeStarted[0]);
            assertThat(socket.getInputStream().read()).as("nothing was replied").isEqualTo(-1);
        } finally {
            socket.close();
        }
        assertThat(closedAfterMillis).as("waited for the work, up to the shutdown timeout").isBetween(400L, 10_000L);
        await().atMost(WAIT).until(() -> log[0].interrupted.get() == 1);
        assertThat(server[0].offloadsDropped()).isOne();
        assertThat(server[0].closedConnections(CloseReason.SHUTDOWN_FORCED)).isOne();
    }
}
