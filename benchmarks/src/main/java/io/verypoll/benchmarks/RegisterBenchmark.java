package io.verypoll.benchmarks;

import io.verypoll.Events;
import io.verypoll.Interest;
import io.verypoll.Poll;
import io.verypoll.Registry;
import io.verypoll.Token;
import io.verypoll.pipe.Pipe;
import io.verypoll.pipe.Receiver;
import java.io.IOException;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Registration cost, on one pipe receiver (nothing ready) and a poll holding 64 other idle sources.
 * <ul>
 *   <li>{@code registerDeregister}: register, deregister, then a non-blocking poll (the JDK only
 *       forgets a cancelled key at the next select, so a poll must come before the source can be
 *       registered again). The JDK makes no epoll_ctl call: the key is gone before the select.</li>
 *   <li>{@code registerPollDeregisterPoll}: the same with a poll after the register too, so the
 *       source really enters the kernel's epoll set and leaves it (epoll_ctl ADD and DEL).</li>
 *   <li>{@code nio*}: the same on a bare NIO selector ({@code register}, {@code cancel},
 *       {@code selectNow}), the floor.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m", "-XX:AutoBoxCacheMax=65536"})
public class RegisterBenchmark {
    private static final int IDLE = 64;

    private Poll poll;
    private Registry registry;
    private final Events events = Events.withCapacity(16);
    private Pipe pipe;
    private Receiver receiver;
    private final Token token = new Token(1_000);
    private Pipe[] idle;

    private Selector selector;
    private java.nio.channels.Pipe nioPipe;
    private java.nio.channels.Pipe[] nioIdle;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        poll = Poll.open();
        registry = poll.registry();
        pipe = Pipe.open();
        receiver = pipe.receiver();
        selector = Selector.open();
        nioPipe = java.nio.channels.Pipe.open();
        nioPipe.source().configureBlocking(false);
        idle = new Pipe[IDLE];
        nioIdle = new java.nio.channels.Pipe[IDLE];
        for (int i = 0; i < IDLE; i++) {
            idle[i] = Pipe.open();
            registry.register(idle[i].receiver(), new Token(i), Interest.READABLE);
            nioIdle[i] = java.nio.channels.Pipe.open();
            nioIdle[i].source().configureBlocking(false);
            nioIdle[i].source().register(selector, SelectionKey.OP_READ);
        }
    }

    @Benchmark
    public int registerDeregister() throws IOException {
        registry.register(receiver, token, Interest.READABLE);
        registry.deregister(receiver);
        poll.poll(events, Duration.ZERO);
        return events.size();
    }

    @Benchmark
    public int registerPollDeregisterPoll() throws IOException {
        registry.register(receiver, token, Interest.READABLE);
        poll.poll(events, Duration.ZERO);
        int n = events.size();
        registry.deregister(receiver);
        poll.poll(events, Duration.ZERO);
        return n + events.size();
    }

    @Benchmark
    public int nioRegisterCancel() throws IOException {
        SelectionKey key = nioPipe.source().register(selector, SelectionKey.OP_READ);
        key.cancel();
        return selector.selectNow();
    }

    @Benchmark
    public int nioRegisterSelectCancelSelect() throws IOException {
        SelectionKey key = nioPipe.source().register(selector, SelectionKey.OP_READ);
        int n = selector.selectNow();
        key.cancel();
        return n + selector.selectNow();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        poll.close();
        selector.close();
        pipe.sender().close();
        pipe.receiver().close();
        nioPipe.sink().close();
        nioPipe.source().close();
        for (int i = 0; i < IDLE; i++) {
            idle[i].sender().close();
            idle[i].receiver().close();
            nioIdle[i].sink().close();
            nioIdle[i].source().close();
        }
    }
}
