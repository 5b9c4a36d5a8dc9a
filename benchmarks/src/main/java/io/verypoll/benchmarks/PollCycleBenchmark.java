package io.verypoll.benchmarks;

import io.verypoll.Events;
import io.verypoll.Interest;
import io.verypoll.Poll;
import io.verypoll.Registry;
import io.verypoll.Token;
import io.verypoll.pipe.Pipe;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One poll cycle with N ready sources: {@code poll} returns N events (pipes with one unread byte
 * each), and each source is re-armed with {@code reregister} for the next cycle (edge semantics:
 * a reported direction stays silent until re-armed). {@code nioSelectNow} is the same cycle on a
 * bare NIO selector, level-triggered, so nothing to re-arm: the floor the core builds on.
 *
 * <p>{@code verypollByIo} re-arms as an event loop does, by I/O: each source's byte is read (a short
 * read: re-armed) and written back; {@code nioSelectNowByIo} does the same reads and writes on the
 * bare selector. On the epoll backend {@code reregister} is an {@code epoll_ctl} per source (as in
 * mio), so {@code verypoll} measures that; {@code verypollByIo} measures the loop.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m", "-XX:AutoBoxCacheMax=65536"})
public class PollCycleBenchmark {
    @Param({"1", "64", "1024"})
    int sources;

    private Poll poll;
    private Registry registry;
    private Events events;
    private Pipe[] pipes;
    private Token[] tokens;

    private Selector selector;
    private java.nio.channels.Pipe[] nioPipes;
    private int selected;
    private final java.util.function.Consumer<SelectionKey> counter = this::count; // one, not one per call
    private final java.util.function.Consumer<SelectionKey> echo = this::echo;
    private final ByteBuffer in = ByteBuffer.allocateDirect(2);
    private final ByteBuffer out = ByteBuffer.allocateDirect(1);

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        poll = Poll.open();
        registry = poll.registry();
        events = Events.withCapacity(sources);
        pipes = new Pipe[sources];
        tokens = new Token[sources];
        selector = Selector.open();
        nioPipes = new java.nio.channels.Pipe[sources];
        for (int i = 0; i < sources; i++) {
            pipes[i] = Pipe.open();
            pipes[i].sender().write(ByteBuffer.wrap(new byte[] {1}));
            tokens[i] = new Token(i);
            registry.register(pipes[i].receiver(), tokens[i], Interest.READABLE);

            nioPipes[i] = java.nio.channels.Pipe.open();
            nioPipes[i].sink().write(ByteBuffer.wrap(new byte[] {1}));
            nioPipes[i].source().configureBlocking(false);
            nioPipes[i].source().register(selector, SelectionKey.OP_READ, nioPipes[i]);
            nioPipes[i].sink().configureBlocking(false);
        }
        // Registrations made before the first poll wake the selector (the poll thread is not known
        // yet), and the JDK's wake-up fd then takes one of its 1024 epoll slots: one cycle first.
        poll.poll(events, Duration.ZERO);
        for (int i = 0; i < events.size(); i++) {
            int index = (int) events.get(i).token().value();
            registry.reregister(pipes[index].receiver(), tokens[index], Interest.READABLE);
        }
        verypoll(); // throws unless every source is ready
        nioSelectNow();
    }

    @Benchmark
    public int verypoll() throws IOException {
        poll.poll(events, Duration.ZERO);
        int n = events.size();
        for (int i = 0; i < n; i++) {
            int index = (int) events.get(i).token().value();
            registry.reregister(pipes[index].receiver(), tokens[index], Interest.READABLE);
        }
        if (n != sources) {
            throw new IllegalStateException(n + " events, expected " + sources);
        }
        return n;
    }

    @Benchmark
    public int verypollByIo() throws IOException {
        poll.poll(events, Duration.ZERO);
        int n = events.size();
        for (int i = 0; i < n; i++) {
            Pipe pipe = pipes[(int) events.get(i).token().value()];
            pipe.receiver().read(in.clear()); // 1 byte into room for 2: a short read, re-armed
            pipe.sender().write(out.clear()); // ready again
        }
        if (n != sources) {
            throw new IllegalStateException(n + " events, expected " + sources);
        }
        return n;
    }

    @Benchmark
    public int nioSelectNowByIo() throws IOException {
        selected = 0;
        int n = selector.selectNow(echo);
        if (n != sources) {
            throw new IllegalStateException(n + " keys, expected " + sources);
        }
        return selected;
    }

    private void echo(SelectionKey key) {
        try {
            java.nio.channels.Pipe.SourceChannel source = (java.nio.channels.Pipe.SourceChannel) key.channel();
            source.read(in.clear());
            ((java.nio.channels.Pipe) key.attachment()).sink().write(out.clear());
            selected++;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Benchmark
    public int nioSelectNow() throws IOException {
        selected = 0;
        int n = selector.selectNow(counter);
        if (n != sources) {
            throw new IllegalStateException(n + " keys, expected " + sources);
        }
        return selected;
    }

    private void count(SelectionKey key) {
        selected += key.readyOps();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        poll.close();
        selector.close();
        for (int i = 0; i < sources; i++) {
            pipes[i].sender().close();
            pipes[i].receiver().close();
            nioPipes[i].sink().close();
            nioPipes[i].source().close();
        }
    }
}
