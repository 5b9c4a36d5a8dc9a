package io.verypoll.spring.boot.loop;

import io.verypoll.spring.boot.loop.LoopTaskQueue.Offer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The loop's bounded, closable task queue on its own. */
@Timeout(60)
class LoopTaskQueueTest {

    private static Runnable task() {
        return () -> { };
    }

    @Test
    void capacityMustBePositive() {
        assertThatThrownBy(() -> new LoopTaskQueue(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LoopTaskQueue(-5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void offersAreRefusedAsFullAtCapacityWithoutLeakingSize() {
        LoopTaskQueue queue = new LoopTaskQueue(3);
        for (int i = 0; i < 3; i++) {
            assertThat(queue.offer(task())).isEqualTo(Offer.ACCEPTED);
            assertThat(queue.size()).isEqualTo(i + 1);
        }
        for (int i = 0; i < 100; i++) {
            assertThat(queue.offer(task())).isEqualTo(Offer.FULL);
        }
        // Refused offers leave no trace in the count: one poll makes room for exactly one more.
        assertThat(queue.size()).isEqualTo(3);
        assertThat(queue.poll()).isNotNull();
        assertThat(queue.size()).isEqualTo(2);
        assertThat(queue.offer(task())).isEqualTo(Offer.ACCEPTED);
        assertThat(queue.offer(task())).isEqualTo(Offer.FULL);
    }

    @Test
    void sizeAndEmptinessFollowOffersAndPolls() {
        LoopTaskQueue queue = new LoopTaskQueue(10);
        assertThat(queue.isEmpty()).isTrue();
        assertThat(queue.poll()).isNull();
        assertThat(queue.size()).isZero();
        queue.offer(task());
        queue.offer(task());
        assertThat(queue.isEmpty()).isFalse();
        assertThat(queue.size()).isEqualTo(2);
        queue.poll();
        queue.poll();
        assertThat(queue.poll()).isNull();
        assertThat(queue.isEmpty()).isTrue();
        // An empty poll must not make the count negative.
        assertThat(queue.size()).isZero();
    }

    @Test
    void tasksComeOutInOfferOrder() {
        LoopTaskQueue queue = new LoopTaskQueue(1_000);
        List<Runnable> offered = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            Runnable task = task();
            offered.add(task);
            assertThat(queue.offer(task)).isEqualTo(Offer.ACCEPTED);
        }
        for (Runnable task : offered) {
            assertThat(queue.poll()).isSameAs(task);
        }
        assertThat(queue.poll()).isNull();
    }

    @Test
    void afterCloseOffersAreRefusedAsClosedButAcceptedTasksCanStillBeDrained() {
        LoopTaskQueue queue = new LoopTaskQueue(2);
        Runnable first = task();
        Runnable second = task();
        queue.offer(first);
        queue.offer(second);

        queue.close();

        // CLOSED wins over FULL: the caller learns that the loop is gone, not that it is busy.
        assertThat(queue.offer(task())).isEqualTo(Offer.CLOSED);
        assertThat(queue.size()).isEqualTo(2);
        assertThat(queue.poll()).isSameAs(first);
        assertThat(queue.poll()).isSameAs(second);
        assertThat(queue.poll()).isNull();
        assertThat(queue.offer(task())).isEqualTo(Offer.CLOSED);
        assertThat(queue.size()).isZero();
        assertThat(queue.isEmpty()).isTrue();
    }

    /**
     * Producers offer while the consumer polls, closes at a random moment, and drains until empty, as
     * a stopping loop does. Every task whose offer said ACCEPTED must be polled exactly once, and no
     * task whose offer said FULL or CLOSED may ever be polled. The race sits at the close, so many
     * short rounds (one close each) find it more often than a few long ones.
     */
    @Test
    void everyAcceptedTaskIsPolledExactlyOnceAndNoRefusedOneEver() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(PRODUCERS + 1);
        try {
            for (int round = 0; round < 300; round++) {
                closeWhileProducing(pool, new Random(round), round);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static final int PRODUCERS = 3;

    private static void closeWhileProducing(ExecutorService pool, Random random, int round) throws Exception {
        int perProducer = 5_000;
        int[] capacities = {1, 16, 1_024, Integer.MAX_VALUE};
        LoopTaskQueue queue = new LoopTaskQueue(capacities[random.nextInt(capacities.length)]);
        int total = PRODUCERS * perProducer;
        AtomicIntegerArray polled = new AtomicIntegerArray(total);
        Offer[] results = new Offer[total]; // each producer writes its own range; read after get()
        // Early enough that the producers are still offering when the queue closes.
        int closeAfter = random.nextInt(total / 4);
        AtomicBoolean producersDone = new AtomicBoolean();
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> producing = new ArrayList<>();
        for (int p = 0; p < PRODUCERS; p++) {
            int first = p * perProducer;
            producing.add(pool.submit(() -> {
                start.await(10, TimeUnit.SECONDS);
                for (int i = first; i < first + perProducer; i++) {
                    int id = i;
                    results[id] = queue.offer(() -> polled.incrementAndGet(id));
                }
                return null;
            }));
        }
        Future<Integer> consumer = pool.submit(() -> {
            start.await(10, TimeUnit.SECONDS);
            int count = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            // Consume for a while (bounded by count, by the producers ending, and by time)...
            while (count < closeAfter && !(producersDone.get() && queue.isEmpty())) {
                assertThat(System.nanoTime()).isLessThan(deadline);
                Runnable task = queue.poll();
                if (task != null) {
                    task.run();
                    count++;
                }
            }
            // ...then close and drain until empty, as LoopGuard.closeEverything does.
            queue.close();
            Runnable task;
            while ((task = queue.poll()) != null) {
                task.run();
                count++;
            }
            return count;
        });
        start.countDown();
        for (Future<?> producer : producing) {
            producer.get(30, TimeUnit.SECONDS);
        }
        producersDone.set(true);
        int consumed = consumer.get(30, TimeUnit.SECONDS);

        int accepted = 0;
        for (int id = 0; id < total; id++) {
            Offer result = results[id];
            assertThat(result).isNotNull();
            if (result == Offer.ACCEPTED) {
                accepted++;
                assertThat(polled.get(id)).as("round %d: accepted task %d polled once", round, id).isEqualTo(1);
            } else {
                assertThat(polled.get(id)).as("round %d: %s task %d never polled", round, result, id).isZero();
            }
        }
        assertThat(consumed).isEqualTo(accepted);
        assertThat(queue.poll()).isNull();
        // The count survives the races too: refused and taken-back offers gave their place back.
        assertThat(queue.size()).as("round %d", round).isZero();
        assertThat(queue.offer(task())).isEqualTo(Offer.CLOSED);
    }
}
