package io.verypoll.spring.boot.loop;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Bounded task queues, cancelled timers, work racing a stop, and a start that fails half way. */
@Timeout(60)
class PollLoopLimitsTest {

    private static final int MAX_PENDING = 1024;

    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(2, 64, Duration.ofSeconds(5), Duration.ofSeconds(1), 64, MAX_PENDING));

    @AfterEach
    void stop() {
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
    }

    private static List<String> verypollThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(name -> name.startsWith("verypoll-")).toList();
    }

    @Test
    void aFullQueueRefusesInsteadOfGrowingAndCountsIt() throws Exception {
        PollLoop loop = group.loop(0);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blocking = new CountDownLatch(1);
        loop.execute(() -> {
            blocking.countDown();
            awaitQuietly(release);
        });
        assertThat(blocking.await(5, TimeUnit.SECONDS)).isTrue();
        AtomicInteger ran = new AtomicInteger();
        for (int i = 0; i < MAX_PENDING; i++) {
            loop.execute(ran::incrementAndGet);
        }
        assertThatThrownBy(() -> loop.execute(ran::incrementAndGet)).isInstanceOf(RejectedExecutionException.class)
                .hasMessageContaining("max-pending-tasks");
        assertThat(loop.tryExecute(ran::incrementAndGet)).isFalse();
        assertThatThrownBy(() -> loop.schedule(Duration.ZERO, ran::incrementAndGet))
                .isInstanceOf(RejectedExecutionException.class);
        assertThat(loop.stats().rejectedTasks()).isEqualTo(3);
        assertThat(loop.pendingTasks()).isEqualTo(MAX_PENDING);
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> ran.get() == MAX_PENDING);
        assertThat(loop.pendingTasks()).isZero();
    }

    @Test
    void aLoopNeverBlocksOnAFullQueueNotEvenItsOwn() throws Exception {
        PollLoop loop = group.loop(1);
        AtomicInteger accepted = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(1);
        loop.execute(() -> {
            // From the loop thread: the queue fills up and refuses; the loop carries on.
            for (int i = 0; i < 2 * MAX_PENDING; i++) {
                if (loop.tryExecute(() -> { })) {
                    accepted.incrementAndGet();
                } else {
                    refused.incrementAndGet();
                }
            }
            done.countDown();
        });
        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(accepted.get()).isEqualTo(MAX_PENDING);
        assertThat(refused.get()).isEqualTo(MAX_PENDING);
    }

    @Test
    void stoppingWithAFloodOfProducersEndsInBoundedTime() throws Exception {
        PollLoop loop = group.loop(0);
        loop.execute(() -> { }); // tryExecute does not start the group
        AtomicBoolean stopProducing = new AtomicBoolean();
        AtomicLong accepted = new AtomicLong();
        AtomicLong ran = new AtomicLong();
        List<Thread> producers = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            Thread producer = new Thread(() -> {
                // Bounded by count and by the flag.
                for (int i = 0; i < 20_000_000 && !stopProducing.get(); i++) {
                    if (loop.tryExecute(ran::incrementAndGet)) {
                        accepted.incrementAndGet();
                    }
                }
            });
            producers.add(producer);
            producer.start();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> accepted.get() > 100_000);
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
        stopProducing.set(true);
        for (Thread producer : producers) {
            producer.join(10_000);
        }
        // Every task that was accepted ran: none was accepted after the loop's last drain.
        assertThat(ran.get()).isEqualTo(accepted.get());
    }

    @Test
    void everyTaskAcceptedWhileTheGroupStopsRuns() throws Exception {
        for (int round = 0; round < 20; round++) {
            PollLoopGroup racing = new PollLoopGroup(
                    new PollLoopGroup.Settings(1, 64, Duration.ofSeconds(5), Duration.ofSeconds(1), 64, MAX_PENDING));
            PollLoop loop = racing.loop(0);
            loop.execute(() -> { });
            AtomicLong accepted = new AtomicLong();
            AtomicLong ran = new AtomicLong();
            AtomicBoolean go = new AtomicBoolean(true);
            Thread producer = new Thread(() -> {
                for (int i = 0; i < 5_000_000 && go.get(); i++) {
                    if (loop.tryExecute(ran::incrementAndGet)) {
                        accepted.incrementAndGet();
                    } else if (!loop.isRunning()) {
                        // Keep trying a little after the stop: an offer that lands late must be refused.
                        if (i % 1000 == 0 && loop.pendingTasks() == 0 && !loop.isRunning()) {
                            break;
                        }
                    }
                }
            });
            producer.start();
            await().atMost(Duration.ofSeconds(5)).until(() -> accepted.get() > 1_000);
            assertThat(racing.stop(Duration.ofSeconds(5))).isTrue();
            producer.join(10_000);
            go.set(false);
            assertThat(ran.get()).as("round %d", round).isEqualTo(accepted.get());
        }
    }

    @Test
    void cancelledTimersDoNotPileUp() throws Exception {
        PollLoop loop = group.loop(0);
        int count = 100_000;
        List<ScheduledTask> scheduled = new ArrayList<>(count);
        CountDownLatch armed = new CountDownLatch(1);
        loop.execute(() -> {
            for (int i = 0; i < count; i++) {
                scheduled.add(loop.schedule(Duration.ofHours(1), () -> { }));
            }
            armed.countDown();
        });
        assertThat(armed.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(loop.scheduledTimers()).isEqualTo(count);
        for (ScheduledTask task : scheduled) {
            task.cancel(); // from another thread: the loop purges them in bulk
        }
        loop.execute(() -> { }); // one more iteration
        await().atMost(Duration.ofSeconds(5)).until(() -> loop.scheduledTimers() == 0);
        assertThat(scheduled).allMatch(ScheduledTask::isCancelled).allMatch(ScheduledTask::isDone);
    }

    @Test
    void aStartThatFailsHalfWayLeavesNothingBehind() throws Exception {
        long fdsBefore = openFds();
        PollLoopGroup failing = new PollLoopGroup(new PollLoopGroup.Settings(2, Integer.MAX_VALUE,
                Duration.ofSeconds(5), Duration.ofSeconds(1), 64, MAX_PENDING));
        assertThatThrownBy(failing::ensureStarted).isInstanceOf(OutOfMemoryError.class);
        assertThat(failing.isStarted()).isFalse();
        assertThat(verypollThreads()).isEmpty();
        assertThat(openFds()).isEqualTo(fdsBefore);
        // Not half started: using a loop tries the whole start again, and fails the same way.
        assertThatThrownBy(() -> failing.loop(1).execute(() -> { })).isInstanceOf(OutOfMemoryError.class);
        assertThat(openFds()).isEqualTo(fdsBefore);
        assertThat(failing.stop(Duration.ofSeconds(1))).isTrue();
    }

    private static long openFds() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
