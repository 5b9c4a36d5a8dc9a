package io.verypoll.spring.boot.loop;

import io.verypoll.Interest;
import io.verypoll.Token;
import io.verypoll.pipe.Pipe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The mio-level API of the loop group: registration, tasks, timers, errors, lazy start and stop. */
@Timeout(30)
class PollLoopGroupTest {

    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(2, 64, Duration.ofMillis(300), Duration.ofMillis(50), 16, 65_536));

    @AfterEach
    void stop() {
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
    }

    private static Set<String> loopThreads() {
        Set<String> names = ConcurrentHashMap.newKeySet();
        Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith("verypoll-")).forEach(names::add);
        return names;
    }

    @Test
    void threadsStartOnlyOnFirstUseAndAreNamedAndNonDaemon() throws Exception {
        assertThat(group.isStarted()).isFalse();
        assertThat(loopThreads()).doesNotContain("verypoll-loop-0", "verypoll-loop-1");
        CountDownLatch ran = new CountDownLatch(1);
        List<Thread> seen = new ArrayList<>();
        group.loop(1).execute(() -> {
            seen.add(Thread.currentThread());
            ran.countDown();
        });
        assertThat(ran.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(seen.get(0).getName()).isEqualTo("verypoll-loop-1");
        assertThat(seen.get(0).isDaemon()).isFalse();
        assertThat(loopThreads()).contains("verypoll-loop-0", "verypoll-loop-1");
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
        assertThat(loopThreads()).doesNotContain("verypoll-loop-0", "verypoll-loop-1", "verypoll-watchdog");
    }

    @Test
    void registeredHandlerGetsEventsOnItsLoopThread() throws Exception {
        Pipe pipe = Pipe.open();
        BlockingQueue<String> got = new ArrayBlockingQueue<>(8);
        PollLoop loop = group.loop(0);
        Token token = loop.register(pipe.receiver(), Interest.READABLE, event -> {
            ByteBuffer buffer = ByteBuffer.allocate(64);
            int n;
            while ((n = pipe.receiver().read(buffer)) > 0) {
                got.add(Thread.currentThread().getName() + ":" + n);
                buffer.clear();
            }
        });
        assertThat(group.loopOf(token)).isSameAs(loop);
        pipe.sender().write(ByteBuffer.wrap(new byte[5]));
        assertThat(got.poll(5, TimeUnit.SECONDS)).isEqualTo("verypoll-loop-0:5");
        assertThat(loop.registrations()).isEqualTo(1);
        group.deregister(token);
        assertThat(loop.registrations()).isZero();
        assertThatThrownBy(() -> group.deregister(token)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not registered");
        pipe.sender().close();
        pipe.receiver().close();
    }

    @Test
    void recycledTokenNeverGetsTheOldRegistrationsEvent() throws Exception {
        // Two sources become ready for the same poll. Whichever handler runs first deregisters the
        // other and registers a third source, which reuses the freed slot. The other's event, still in
        // the same batch, must be dropped: it may reach neither the old handler nor the new one.
        PollLoop loop = group.loop(0);
        Pipe a = Pipe.open();
        Pipe b = Pipe.open();
        Pipe c = Pipe.open();
        AtomicInteger wrongDeliveries = new AtomicInteger();
        AtomicInteger firstRuns = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(1);
        Token[] tokens = new Token[3];
        CountDownLatch registered = new CountDownLatch(1);
        loop.execute(() -> {
            try {
                for (int i = 0; i < 2; i++) {
                    int self = i;
                    Pipe pipe = i == 0 ? a : b;
                    tokens[i] = loop.register(pipe.receiver(), Interest.READABLE, event -> {
                        if (firstRuns.getAndIncrement() > 0) {
                            wrongDeliveries.incrementAndGet(); // the deregistered one got an event
                            return;
                        }
                        loop.deregister(tokens[1 - self]);
                        tokens[2] = loop.register(c.receiver(), Interest.READABLE,
                                e -> wrongDeliveries.incrementAndGet()); // c never has data
                        done.countDown();
                    });
                }
                registered.countDown();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        assertThat(registered.await(5, TimeUnit.SECONDS)).isTrue();
        long staleBefore = loop.stats().staleEvents();
        // Written from the loop thread, so both are ready before its next poll.
        loop.execute(() -> {
            try {
                b.sender().write(ByteBuffer.wrap(new byte[1]));
                a.sender().write(ByteBuffer.wrap(new byte[1]));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        CountDownLatch settled = new CountDownLatch(1);
        loop.schedule(Duration.ofMillis(50), settled::countDown);
        assertThat(settled.await(5, TimeUnit.SECONDS)).isTrue();
        // The third registration took the freed slot (same slot bits) under a new generation.
        long slotMask = (1L << 24) - 1;
        assertThat(tokens[2].value() & slotMask).isIn(tokens[0].value() & slotMask, tokens[1].value() & slotMask);
        assertThat(tokens[2]).isNotIn(tokens[0], tokens[1]);
        assertThat(wrongDeliveries.get()).isZero();
        assertThat(loop.stats().staleEvents() - staleBefore).isEqualTo(1);
        for (Pipe p : List.of(a, b, c)) {
            p.sender().close();
            p.receiver().close();
        }
    }

    @Test
    void aHandlerThatThrowsAfterItsSlotWasReusedClosesOnlyItsOwnSource() throws Exception {
        // The handler ends its own registration, a new source takes the freed slot, then the handler
        // throws: the error must not close the new source or end its registration.
        PollLoop loop = group.loop(0);
        Pipe failing = Pipe.open();
        Pipe successor = Pipe.open();
        AtomicInteger successorEvents = new AtomicInteger();
        Token[] tokens = new Token[2];
        CountDownLatch registered = new CountDownLatch(1);
        loop.execute(() -> {
            try {
                tokens[0] = loop.register(failing.receiver(), Interest.READABLE, event -> {
                    loop.deregister(tokens[0]);
                    tokens[1] = loop.register(successor.receiver(), Interest.READABLE, e -> {
                        successor.receiver().read(ByteBuffer.allocate(16));
                        successorEvents.incrementAndGet();
                    });
                    throw new IllegalStateException("after the slot was reused");
                });
                registered.countDown();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        assertThat(registered.await(5, TimeUnit.SECONDS)).isTrue();
        failing.sender().write(ByteBuffer.wrap(new byte[1]));
        await().atMost(Duration.ofSeconds(5)).until(() -> group.handlerErrors().total() == 1);
        long slotMask = (1L << 24) - 1;
        assertThat(tokens[1].value() & slotMask).isEqualTo(tokens[0].value() & slotMask);
        assertThat(successor.receiver().isOpen()).isTrue();
        assertThat(loop.registrations()).isEqualTo(1);
        successor.sender().write(ByteBuffer.wrap(new byte[1]));
        await().atMost(Duration.ofSeconds(5)).until(() -> successorEvents.get() == 1);
        for (Pipe p : List.of(failing, successor)) {
            p.sender().close();
            p.receiver().close();
        }
    }

    @Test
    void executeFromManyThreadsRunsEveryTaskOnTheLoop() throws Exception {
        int threads = 4;
        int perThread = 2_000;
        AtomicInteger ran = new AtomicInteger();
        AtomicInteger offLoop = new AtomicInteger();
        PollLoop loop = group.loop(1);
        List<Thread> producers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread producer = new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    loop.execute(() -> {
                        if (!loop.inLoop()) {
                            offLoop.incrementAndGet();
                        }
                        ran.incrementAndGet();
                    });
                }
            });
            producers.add(producer);
            producer.start();
        }
        for (Thread producer : producers) {
            producer.join(10_000);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> ran.get() == threads * perThread);
        assertThat(offLoop.get()).isZero();
        assertThat(loop.pendingTasks()).isZero();
        assertThat(loop.stats().wakeups()).isPositive();
    }

    @Test
    void scheduledTasksRunInDeadlineOrderAndCanBeCancelled() throws Exception {
        BlockingQueue<String> order = new ArrayBlockingQueue<>(8);
        long start = System.nanoTime();
        // Wide gaps: the cancel must come before the cancelled task is due even on a loaded machine.
        group.loop(0).schedule(Duration.ofMillis(600), () -> order.add("late"));
        ScheduledTask cancelled = group.loop(0).schedule(Duration.ofMillis(400), () -> order.add("cancelled"));
        group.loop(0).schedule(Duration.ofMillis(30), () -> order.add("early"));
        cancelled.cancel();
        assertThat(order.poll(5, TimeUnit.SECONDS)).isEqualTo("early");
        assertThat(order.poll(5, TimeUnit.SECONDS)).isEqualTo("late");
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(Duration.ofMillis(600).toNanos());
        assertThat(order).isEmpty();
        assertThat(cancelled.isCancelled()).isTrue();
    }

    // Oracle O-THREAD: a throwing handler is counted, its source closed, the loop keeps iterating.
    @Test
    void throwingHandlerIsCountedAndClosedAndTheLoopLivesOn() throws Exception {
        PollLoop loop = group.loop(0);
        Pipe pipe = Pipe.open();
        loop.register(pipe.receiver(), Interest.READABLE, event -> {
            throw new IllegalStateException("handler bug");
        });
        pipe.sender().write(ByteBuffer.wrap(new byte[1]));
        await().atMost(Duration.ofSeconds(5)).until(() -> group.handlerErrors().total() == 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> loop.registrations() == 0);
        assertThat(pipe.receiver().isOpen()).isFalse();
        long before = loop.stats().iterations();
        CountDownLatch alive = new CountDownLatch(1);
        loop.execute(alive::countDown);
        assertThat(alive.await(5, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> loop.stats().iterations() > before);
        assertThat(loop.failure()).isNull();
        assertThat(group.handlerErrors().count(IllegalStateException.class)).isEqualTo(1);
        assertThat(loop.stats().handlerErrors()).isEqualTo(1);
        assertThat(group.loop(1).stats().handlerErrors()).isZero();
        pipe.sender().close();
    }

    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void blockedLoopIsDetectedWhileItLasts(CapturedOutput output) throws Exception {
        PollLoop loop = group.loop(1);
        CountDownLatch release = new CountDownLatch(1);
        loop.execute(() -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(loop::isBlocked);
        await().atMost(Duration.ofSeconds(5)).until(() -> loop.stats().blockedIterations() == 1);
        // One warning for the episode, with the loop thread's stack showing where it is stuck.
        await().atMost(Duration.ofSeconds(5)).until(() -> output.getAll().contains("verypoll loop verypoll-loop-1 has been blocked for"));
        assertThat(output.getAll()).contains("java.util.concurrent.CountDownLatch.await")
                .contains("PollLoopGroupTest");
        release.countDown();
        await().atMost(Duration.ofSeconds(5)).until(() -> !loop.isBlocked());
        assertThat(loop.stats().blockedIterations()).isEqualTo(1);
        assertThat(output.getAll().split("has been blocked for", -1)).as("one warning per episode").hasSize(2);
    }

    @Test
    void workAfterStopIsRefused() {
        group.loop(0).execute(() -> { });
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
        assertThatThrownBy(() -> group.execute(() -> { })).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("stopped");
    }
}
