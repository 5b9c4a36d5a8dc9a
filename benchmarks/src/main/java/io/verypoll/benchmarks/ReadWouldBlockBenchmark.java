package io.verypoll.benchmarks;

import io.verypoll.Events;
import io.verypoll.Interest;
import io.verypoll.Poll;
import io.verypoll.Token;
import io.verypoll.net.TcpStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
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
 * The read that edge semantics add to every readable event: a read on a drained TCP socket,
 * which returns 0 (EAGAIN) and re-arms reading.
 * <ul>
 *   <li>{@code tcpStream}: through the core, the stream registered with a {@code Poll} (so the
 *       re-arm bookkeeping runs); {@code tcpStreamUnregistered}: the core without a registration;</li>
 *   <li>{@code socketChannel}, {@code socketChannelRegistered}: the bare JDK call, on a channel
 *       registered with a bare selector or not;</li>
 *   <li>{@code rearmOnly}: the core's re-arm bookkeeping alone ({@code ChannelSource.wouldBlock}).</li>
 * </ul>
 * Each uses its own connected socket pair. The absolute figure is what the drain-until-0 rule costs
 * per readable event (see the echo analysis in benchmarks/README.md).
 *
 * <p>On the epoll backend ({@code -jvmArgsAppend "-Dverypoll.backend=epoll
 * --enable-native-access=ALL-UNNAMED --add-exports java.base/sun.nio.ch=ALL-UNNAMED"}, Java 22+)
 * the core's streams are raw sockets: {@code tcpStream} is then the FFM read, next to NIO's in
 * the same run ({@code rearmOnly} needs the --add-exports, for ChannelSource).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
public class ReadWouldBlockBenchmark {
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024);
    private ServerSocketChannel server;
    private SocketChannel[] ends;
    private Poll poll;
    private TcpStream stream;
    private SocketChannel channel;
    private TcpStream unregistered;
    private SocketChannel registeredChannel;
    private java.nio.channels.Selector selector;
    private io.verypoll.ChannelSource source;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        ends = new SocketChannel[8];
        for (int i = 0; i < 8; i += 2) {
            ends[i] = SocketChannel.open(server.getLocalAddress());
            ends[i + 1] = server.accept();
        }
        poll = Poll.open();
        // Streams of the core's own making (fromChannel is NIO's only), connected before use.
        stream = connected();
        poll.registry().register(stream, new Token(1), Interest.READABLE);
        poll.poll(Events.withCapacity(4), java.time.Duration.ZERO);
        channel = ends[3];
        channel.configureBlocking(false);
        unregistered = connected();
        selector = java.nio.channels.Selector.open();
        registeredChannel = ends[7];
        registeredChannel.configureBlocking(false);
        registeredChannel.register(selector, java.nio.channels.SelectionKey.OP_READ);
        selector.selectNow();
        source = io.verypoll.ChannelSource.of(ends[0]);
        poll.registry().register(source, new Token(2), Interest.READABLE);
        if (tcpStream() != 0 || socketChannel() != 0) {
            throw new IllegalStateException("expected would-block reads");
        }
    }

    /** A stream connected to this benchmark's listener (its accepted end is kept in {@link #peers}). */
    private TcpStream connected() throws IOException {
        TcpStream s = TcpStream.connect(server.getLocalAddress());
        peers.add(server.accept());
        while (true) {
            try {
                s.peerAddress();
                return s;
            } catch (java.nio.channels.NotYetConnectedException stillConnecting) {
                Thread.onSpinWait(); // the handshake is done once accept returned: a few tries at most
            }
        }
    }

    private final java.util.List<SocketChannel> peers = new java.util.ArrayList<>();

    @Benchmark
    public int tcpStream() throws IOException {
        buffer.clear();
        return stream.read(buffer);
    }

    @Benchmark
    public int socketChannel() throws IOException {
        buffer.clear();
        return channel.read(buffer);
    }

    @Benchmark
    public int tcpStreamUnregistered() throws IOException {
        buffer.clear();
        return unregistered.read(buffer);
    }

    @Benchmark
    public int socketChannelRegistered() throws IOException {
        buffer.clear();
        return registeredChannel.read(buffer);
    }

    /** The re-arm bookkeeping alone, without the read: {@code ChannelSource.wouldBlock(READABLE)}. */
    @Benchmark
    public void rearmOnly() {
        source.wouldBlock(Interest.READABLE);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        poll.close();
        selector.close();
        stream.close();
        unregistered.close();
        for (SocketChannel end : ends) {
            end.close();
        }
        for (SocketChannel peer : peers) {
            peer.close();
        }
        server.close();
    }
}
