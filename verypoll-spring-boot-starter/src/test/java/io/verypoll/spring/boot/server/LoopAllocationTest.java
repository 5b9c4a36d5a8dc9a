package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.frame.FrameDecoders;
import io.verypoll.spring.boot.frame.FrameEncoders;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * Zero allocation in the loop's steady state: an echo round trip (poll, event dispatch, read into
 * the loop's shared buffer, write straight to the socket, re-arm) allocates nothing on the loop
 * thread, and neither does a framed one (the frame handed over as a view of the read buffer, the
 * reply gathered and sent at the batch's end). Measured with the JVM's per-thread allocation counter.
 */
@Timeout(60)
class LoopAllocationTest {

    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(1, 64, Duration.ofSeconds(2), Duration.ofSeconds(1), 64, 65_536));

    @AfterEach
    void stop() {
        group.stop(Duration.ofSeconds(5));
    }

    @Test
    void echoRoundTripsAllocateNothingOnTheLoopThread() throws Exception {
        measure(TcpServer.builder().name("alloc").handler((c, data) -> c.write(data)), "echo");
    }

    @Test
    void framedEchoRoundTripsAllocateNothingOnTheLoopThread() throws Exception {
        // A frame written back whole: a view of the read buffer, gathered and sent at the batch's end.
        measure(TcpServer.builder().name("framed").decoder(FrameDecoders.lines(1024).keepingTerminator())
                .messageHandler((c, line) -> c.write(line)), "framed echo");
    }

    @Test
    void framedEchoWithAnEncoderAllocatesNothingOnTheLoopThread() throws Exception {
        // The content as a view, the encoder's LF as a copy: a gathering write of two buffers.
        measure(TcpServer.builder().name("encoded").decoder(FrameDecoders.lines(1024))
                .messageHandler((c, line) -> c.writeFrame(line, FrameEncoders.lines())), "framed echo, encoder");
    }

    private void measure(TcpServer.Builder builder, String what) throws Exception {
        java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        assumeThat(threads).isInstanceOf(com.sun.management.ThreadMXBean.class);
        com.sun.management.ThreadMXBean allocation = (com.sun.management.ThreadMXBean) threads;
        assumeThat(allocation.isThreadAllocatedMemorySupported()).isTrue();
        allocation.setThreadAllocatedMemoryEnabled(true);

        TcpServer server = builder.port(0).idleTimeout(Duration.ofSeconds(30)).build();
        server.start(group);
        long[] loopThreadId = new long[1];
        CountDownLatch found = new CountDownLatch(1);
        group.loop(0).execute(() -> {
            loopThreadId[0] = Thread.currentThread().getId();
            found.countDown();
        });
        assertThat(found.await(5, TimeUnit.SECONDS)).isTrue();

        try (Socket socket = new Socket()) {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            byte[] message = new byte[64];
            Arrays.fill(message, (byte) 'm');
            message[63] = '\n'; // one line: the framed servers see one frame per message
            roundTrips(out, in, message, 5_000); // warm-up: JIT, lazily created JDK structures
            long before = allocation.getThreadAllocatedBytes(loopThreadId[0]);
            int trips = 10_000;
            roundTrips(out, in, message, trips);
            long allocated = allocation.getThreadAllocatedBytes(loopThreadId[0]) - before;
            System.out.println("loop thread allocated " + allocated + " bytes in " + trips + " " + what + " round trips");
            // A few stray objects (a timer re-arm in the JDK, a log line) are tolerated, not per-message garbage.
            assertThat((double) allocated / trips).isLessThan(1.0);
        } finally {
            server.stopAccepting(Duration.ofSeconds(2));
            server.forceClose(Duration.ofSeconds(2));
        }
    }

    private static void roundTrips(OutputStream out, InputStream in, byte[] message, int count) throws Exception {
        for (int i = 0; i < count; i++) {
            message[0] = (byte) ('a' + i % 26);
            out.write(message);
            byte[] back = in.readNBytes(message.length);
            if (back.length != message.length || back[0] != message[0]) {
                throw new AssertionError("echo " + i + " came back wrong");
            }
        }
    }
}
