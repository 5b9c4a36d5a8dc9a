package io.verypoll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.verypoll.TestUtil.TcpPair;
import io.verypoll.net.TcpStream;
import io.verypoll.net.UdpSocket;
import io.verypoll.net.UnixStream;
import io.verypoll.pipe.Pipe;
import java.lang.management.ManagementFactory;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Reads and writes allocate nothing per call, heap and direct buffers alike, would-block included
 * (as polls do: AllocationTest). Measured with ThreadMXBean around the source's calls only; the
 * peer's side of each exchange is not counted.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IoAllocationTest {
    private static final int WINDOW = 10_000;
    /** Windows of {@link #WINDOW} rounds at most: the JIT must compile the paths before they allocate nothing. */
    private static final int MAX_WINDOWS = 30;
    /** The contract is zero; this catches any per-call object. */
    private static final double MAX_BYTES_PER_CALL = 1.0;

    private final com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private final long self = Thread.currentThread().getId();

    @FunctionalInterface
    private interface Step {
        /** One round; returns the bytes allocated by the measured calls in it. */
        long run() throws Exception;
    }

    private long allocated() {
        return mx.getThreadAllocatedBytes(self);
    }

    /**
     * Bytes per call in steady state: rounds in windows of {@link #WINDOW} until one allocates at
     * most {@link #MAX_BYTES_PER_CALL} per call (the interpreter and C1 allocate where C2 does not),
     * or {@link #MAX_WINDOWS} windows; returns the last window's figure.
     */
    private double perCall(String what, Step step, int callsPerRound) throws Exception {
        assumeThat(mx.isThreadAllocatedMemorySupported()).isTrue();
        mx.setThreadAllocatedMemoryEnabled(true);
        double per = Double.NaN;
        int window = 0;
        while (window++ < MAX_WINDOWS) {
            long total = 0;
            for (int i = 0; i < WINDOW; i++) {
                total += step.run();
            }
            per = (double) total / ((long) WINDOW * callsPerRound);
            if (window > 1 && per <= MAX_BYTES_PER_CALL) {
                break;
            }
        }
        System.out.printf("IoAllocationTest (%s, %s): %.3f bytes/call in window %d of %d calls%n",
                TestUtil.backend(), what, per, window, WINDOW * callsPerRound);
        return per;
    }

    /**
     * Heap and direct buffers, each called straight from the test and from six frames down (as
     * from an event loop's handler): the JIT's inlining budget differs, and allocation-free code
     * must not depend on it.
     */
    @Test
    void streamReadAndWrite() throws Exception {
        for (int variant = 0; variant < 4; variant++) {
            boolean direct = (variant & 1) != 0;
            boolean deep = (variant & 2) != 0;
            try (TcpPair pair = TcpPair.open()) {
                TcpStream stream = pair.stream();
                ByteBuffer out = direct ? ByteBuffer.allocateDirect(64) : ByteBuffer.allocate(64);
                ByteBuffer in = direct ? ByteBuffer.allocateDirect(64) : ByteBuffer.allocate(64);
                ByteBuffer echo = ByteBuffer.allocateDirect(64);
                double per = perCall((direct ? "tcp direct" : "tcp heap") + (deep ? ", deep caller" : ""), () -> {
                    long a = allocated();
                    int n = deep ? Deep.write1(stream, out.clear()) : stream.write(out.clear());
                    long cost = allocated() - a;
                    assertThat(n).isEqualTo(64);
                    echo.clear();
                    while (echo.hasRemaining()) {
                        pair.peer().read(echo);
                    }
                    pair.peer().write(echo.flip());
                    in.clear();
                    while (in.hasRemaining()) {
                        a = allocated();
                        // 0 until the echo is here: would-block reads counted too
                        int ignored = deep ? Deep.read1(stream, in) : stream.read(in);
                        cost += allocated() - a;
                    }
                    return cost;
                }, 2);
                assertThat(per).as("bytes per read or write").isLessThanOrEqualTo(MAX_BYTES_PER_CALL);
            }
        }
    }

    /** Six frames between the loop and the call, as an event loop and its handlers make. */
    private static final class Deep {
        static int write1(TcpStream s, ByteBuffer b) throws Exception {
            return write2(s, b);
        }

        static int write2(TcpStream s, ByteBuffer b) throws Exception {
            return write3(s, b);
        }

        static int write3(TcpStream s, ByteBuffer b) throws Exception {
            return write4(s, b);
        }

        static int write4(TcpStream s, ByteBuffer b) throws Exception {
            return write5(s, b);
        }

        static int write5(TcpStream s, ByteBuffer b) throws Exception {
            return s.write(b);
        }

        static int read1(TcpStream s, ByteBuffer b) throws Exception {
            return read2(s, b);
        }

        static int read2(TcpStream s, ByteBuffer b) throws Exception {
            return read3(s, b);
        }

        static int read3(TcpStream s, ByteBuffer b) throws Exception {
            return read4(s, b);
        }

        static int read4(TcpStream s, ByteBuffer b) throws Exception {
            return read5(s, b);
        }

        static int read5(TcpStream s, ByteBuffer b) throws Exception {
            return s.read(b);
        }
    }

    @Test
    void wouldBlockRead() throws Exception {
        try (TcpPair pair = TcpPair.open()) {
            ByteBuffer in = ByteBuffer.allocate(64);
            double per = perCall("would-block read", () -> {
                long a = allocated();
                int n = pair.stream().read(in);
                long cost = allocated() - a;
                assertThat(n).isZero();
                return cost;
            }, 1);
            assertThat(per).isLessThanOrEqualTo(MAX_BYTES_PER_CALL);
        }
    }

    @Test
    void pipeWriteAndRead() throws Exception {
        Pipe pipe = Pipe.open();
        try (var sender = pipe.sender(); var receiver = pipe.receiver()) {
            ByteBuffer out = ByteBuffer.allocate(32);
            ByteBuffer in = ByteBuffer.allocate(32);
            double per = perCall("pipe heap", () -> {
                long a = allocated();
                sender.write(out.clear());
                receiver.read(in.clear());
                long cost = allocated() - a;
                assertThat(in.position()).isEqualTo(32);
                return cost;
            }, 2);
            assertThat(per).isLessThanOrEqualTo(MAX_BYTES_PER_CALL);
        }
    }

    @Test
    void unixStreamWriteAndRead() throws Exception {
        UnixStream[] ends = UnixStream.pair();
        try (UnixStream a = ends[0]; UnixStream b = ends[1]) {
            ByteBuffer out = ByteBuffer.allocate(32);
            ByteBuffer in = ByteBuffer.allocate(32);
            double per = perCall("unix heap", () -> {
                long start = allocated();
                a.write(out.clear());
                b.read(in.clear());
                long cost = allocated() - start;
                assertThat(in.position()).isEqualTo(32);
                return cost;
            }, 2);
            assertThat(per).isLessThanOrEqualTo(MAX_BYTES_PER_CALL);
        }
    }

    /** The same peer again and again: its address object is reused, as the JDK reuses it. */
    @Test
    void datagramSendToAndRecvFrom() throws Exception {
        try (UdpSocket a = UdpSocket.bind(TestUtil.anyLocalAddress()); UdpSocket b = UdpSocket.bind(TestUtil.anyLocalAddress())) {
            SocketAddress to = b.localAddress();
            ByteBuffer out = ByteBuffer.allocate(32);
            ByteBuffer in = ByteBuffer.allocate(64);
            double per = perCall("udp heap", () -> {
                long start = allocated();
                a.sendTo(out.clear(), to);
                SocketAddress from;
                do {
                    from = b.recvFrom(in.clear());
                } while (from == null);
                long cost = allocated() - start;
                assertThat(in.position()).isEqualTo(32);
                return cost;
            }, 2);
            assertThat(per).isLessThanOrEqualTo(MAX_BYTES_PER_CALL);
        }
    }
}
