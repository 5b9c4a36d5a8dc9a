package io.verypoll;

import static org.assertj.core.api.Assertions.assertThat;

import io.verypoll.TestUtil.Bg;
import io.verypoll.pipe.Pipe;
import io.verypoll.pipe.Receiver;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Registrations racing a poll on another thread: every registration of an already-readable
 * source must get its READABLE event. A registration whose interest a concurrent poll wiped
 * (seeing it half made) never gets one, not even when more data comes.
 *
 * <p>Workers register, then wait (bounded) for the poll thread to hand them the event's token;
 * a worker gives up after {@link #MAX_LOST_PER_WORKER} losses so that a broken build fails in
 * bounded time.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RegisterRaceTest {
    private static final int WORKERS = 6;
    private static final int PER_WORKER = 20_000;
    /** Tokens are worker * STRIDE + registration number, so the poll thread knows whom to tell. */
    private static final long STRIDE = 1_000_000;
    private static final Duration EVENT_TIMEOUT = Duration.ofSeconds(2);
    private static final int MAX_LOST_PER_WORKER = 4;
    private static final Token STOP = new Token(-1);

    @FunctionalInterface
    private interface Worker {
        /** Runs the registrations of worker {@code w}; returns how many never got their event. */
        int run(int w, Registry registry, BlockingQueue<Long> seen) throws Exception;
    }

    /** Each registration is of a fresh, readable pipe: the registration makes a new selection key. */
    @Test
    void registerRacingPollNeverLosesReadiness() throws Exception {
        int lost = race("fresh pipes", (w, registry, seen) -> {
            int misses = 0;
            ByteBuffer one = ByteBuffer.allocate(1);
            for (int i = 0; i < PER_WORKER && misses < MAX_LOST_PER_WORKER; i++) {
                Pipe pipe = Pipe.open();
                try (var sender = pipe.sender(); Receiver receiver = pipe.receiver()) {
                    sender.write(one.clear());
                    long token = w * STRIDE + i;
                    registry.register(receiver, new Token(token), Interest.READABLE);
                    if (!awaitToken(seen, token)) {
                        misses++;
                    }
                }
            }
            return misses;
        });
        assertThat(lost).as("registrations that never got their READABLE event").isZero();
    }

    /** One readable pipe per worker, deregistered and registered again: the parked key is reused. */
    @Test
    void reRegisterRacingPollNeverLosesReadiness() throws Exception {
        int lost = race("deregister + register", (w, registry, seen) -> {
            int misses = 0;
            Pipe pipe = Pipe.open();
            try (var sender = pipe.sender(); Receiver receiver = pipe.receiver()) {
                sender.write(ByteBuffer.allocate(1));
                for (int i = 0; i < PER_WORKER && misses < MAX_LOST_PER_WORKER; i++) {
                    long token = w * STRIDE + i;
                    registry.register(receiver, new Token(token), Interest.READABLE);
                    if (!awaitToken(seen, token)) {
                        misses++;
                    }
                    registry.deregister(receiver);
                }
            }
            return misses;
        });
        assertThat(lost).as("registrations that never got their READABLE event").isZero();
    }

    /** Polls on this thread while the workers run; returns the registrations lost in total. */
    private static int race(String name, Worker body) throws Exception {
        try (Poll poll = Poll.open()) {
            Waker stop = new Waker(poll.registry(), STOP);
            List<BlockingQueue<Long>> seen = new ArrayList<>();
            AtomicInteger lost = new AtomicInteger();
            AtomicInteger running = new AtomicInteger(WORKERS);
            List<Bg> workers = new ArrayList<>();
            for (int w = 0; w < WORKERS; w++) {
                seen.add(new LinkedBlockingQueue<>());
            }
            long t0 = System.nanoTime();
            for (int w = 0; w < WORKERS; w++) {
                int id = w;
                Registry registry = poll.registry().tryClone();
                workers.add(Bg.start("register-" + w, () -> {
                    try {
                        lost.addAndGet(body.run(id, registry, seen.get(id)));
                    } finally {
                        if (running.decrementAndGet() == 0) {
                            stop.wake();
                        }
                    }
                }));
            }
            Events events = Events.withCapacity(64);
            long deadline = System.nanoTime() + Duration.ofSeconds(45).toNanos();
            boolean stopped = false;
            long delivered = 0;
            while (!stopped && System.nanoTime() < deadline) {
                poll.poll(events, Duration.ofMillis(100));
                for (int i = 0; i < events.size(); i++) {
                    long token = events.get(i).token().value();
                    if (token == STOP.value()) {
                        stopped = true;
                    } else {
                        seen.get((int) (token / STRIDE)).add(token);
                        delivered++;
                    }
                }
            }
            for (Bg worker : workers) {
                worker.join();
            }
            assertThat(stopped).as("workers finished").isTrue();
            System.out.printf("RegisterRaceTest (%s): %d registrations lost, %d events, %d ms%n",
                    name, lost.get(), delivered, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            return lost.get();
        }
    }

    /** Waits (bounded) until the poll thread reports {@code token}; older tokens are skipped. */
    private static boolean awaitToken(BlockingQueue<Long> seen, long token) throws InterruptedException {
        long deadline = System.nanoTime() + EVENT_TIMEOUT.toNanos();
        for (;;) {
            long left = deadline - System.nanoTime();
            Long got = left > 0 ? seen.poll(left, TimeUnit.NANOSECONDS) : null;
            if (got == null) {
                return false;
            }
            if (got == token) {
                return true;
            }
        }
    }
}
