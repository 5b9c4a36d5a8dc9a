package io.verypoll.benchmarks;

import io.verypoll.Events;
import io.verypoll.Poll;
import io.verypoll.Token;
import io.verypoll.Waker;
import java.io.IOException;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code crossThreadRoundTrip}: the benchmark thread wakes a second thread blocked in its own
 * {@code poll}, which wakes the benchmark thread back; one op is the round trip (two wake-ups
 * across threads, two blocking polls). {@code sameThreadWakeThenPoll}: wake from the polling
 * thread itself, then a non-blocking poll that returns the event. {@code nioCrossThreadRoundTrip}:
 * the round trip with bare {@code Selector.wakeup()}, the floor.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
public class WakeBenchmark {
    private static final Duration LIMIT = Duration.ofSeconds(10);

    @State(Scope.Thread)
    public static class CrossThread {
        Poll here;
        Poll there;
        Waker wakeHere;
        Waker wakeThere;
        final Events events = Events.withCapacity(4);
        volatile boolean running = true;
        Thread echo;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            here = Poll.open();
            there = Poll.open();
            wakeHere = new Waker(here.registry(), new Token(1));
            wakeThere = new Waker(there.registry(), new Token(2));
            echo = new Thread(this::echo, "waker-echo");
            echo.setDaemon(true);
            echo.start();
        }

        private void echo() {
            Events theirs = Events.withCapacity(4);
            try {
                while (running) {
                    there.poll(theirs, null);
                    if (running && !theirs.isEmpty()) {
                        wakeHere.wake();
                    }
                }
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            running = false;
            wakeThere.wake();
            echo.join(10_000);
            here.close();
            there.close();
        }
    }

    /** The same round trip on bare NIO selectors: {@code Selector.wakeup()} both ways. */
    @State(Scope.Thread)
    public static class NioCrossThread {
        Selector here;
        Selector there;
        volatile boolean running = true;
        Thread echo;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            here = Selector.open();
            there = Selector.open();
            echo = new Thread(this::echo, "nio-wakeup-echo");
            echo.setDaemon(true);
            echo.start();
        }

        private void echo() {
            try {
                while (running) {
                    there.select();
                    if (running) {
                        here.wakeup();
                    }
                }
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            running = false;
            there.wakeup();
            echo.join(10_000);
            here.close();
            there.close();
        }
    }

    @State(Scope.Thread)
    public static class SameThread {
        Poll poll;
        Waker waker;
        final Events events = Events.withCapacity(4);

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            poll = Poll.open();
            waker = new Waker(poll.registry(), new Token(1));
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            poll.close();
        }
    }

    @Benchmark
    public int crossThreadRoundTrip(CrossThread s) throws IOException {
        s.wakeThere.wake();
        s.here.poll(s.events, LIMIT);
        if (s.events.size() != 1) {
            throw new IllegalStateException("no wake-up within " + LIMIT);
        }
        return s.events.size();
    }

    @Benchmark
    public int nioCrossThreadRoundTrip(NioCrossThread s) throws IOException {
        s.there.wakeup();
        return s.here.select(LIMIT.toMillis());
    }

    @Benchmark
    public int sameThreadWakeThenPoll(SameThread s) throws IOException {
        s.waker.wake();
        s.poll.poll(s.events, Duration.ZERO);
        if (s.events.size() != 1) {
            throw new IllegalStateException("no event after wake");
        }
        return s.events.size();
    }
}
