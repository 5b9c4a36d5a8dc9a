package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.PollLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * An owned buffer is never copied: the heap the loop thread allocates over many owned writes to a
 * reader that is behind does not grow with the payload (a few dozen bytes per write: the handler's
 * {@code duplicate()}, the queue entry). The same writes as copies allocate about the payload, which
 * shows that the counter sees copies. Measured with the JVM's per-thread allocation counter.
 */
@Timeout(120)
class OwnedWriteAllocationTest {

    private static final int WRITES = 8;

    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(1, 64, Duration.ofSeconds(2), Duration.ofSeconds(1), 64, 65_536));

    @AfterEach
    void stop() {
        group.stop(Duration.ofSeconds(5));
    }

    @Test
    void ownedWritesAllocateTheSameForASmallAndALargePayloadAndCopiesAllocateThePayload() throws Exception {
        com.sun.management.ThreadMXBean allocation = allocationCounter();
        long loopThread = loopThreadId();

        long ownedSmall = measure(allocation, loopThread, 64 * 1024, true);
        long ownedLarge = measure(allocation, loopThread, 4 * 1024 * 1024, true);
        long copiedLarge = measure(allocation, loopThread, 4 * 1024 * 1024, false);
        System.out.printf("loop thread allocated, %d writes: owned 64 KiB %d bytes, owned 4 MiB %d bytes,"
                + " copied 4 MiB %d bytes%n", WRITES, ownedSmall, ownedLarge, copiedLarge);

        long payload = (long) WRITES * 4 * 1024 * 1024;
        // A few hundred bytes per write (a duplicate, a queue entry, the queue itself), whatever the size.
        assertThat(ownedLarge).isLessThan(16 * 1024L);
        assertThat(ownedLarge).isLessThan(ownedSmall + 8 * 1024L);
        // What the socket did not take at once was copied: most of the payload.
        assertThat(copiedLarge).isGreaterThan(payload / 2);
    }

    private static com.sun.management.ThreadMXBean allocationCounter() {
        java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        assumeThat(threads).isInstanceOf(com.sun.management.ThreadMXBean.class);
        com.sun.management.ThreadMXBean allocation = (com.sun.management.ThreadMXBean) threads;
        assumeThat(allocation.isThreadAllocatedMemorySupported()).isTrue();
        allocation.setThreadAllocatedMemoryEnabled(true);
        return allocation;
    }

    private long loopThreadId() throws InterruptedException {
        long[] id = new long[1];
        CountDownLatch found = new CountDownLatch(1);
        group.loop(0).execute(() -> {
            id[0] = Thread.currentThread().getId();
            found.countDown();
        });
        assertThat(found.await(5, TimeUnit.SECONDS)).isTrue();
        return id[0];
    }

    /** Heap the loop thread allocated while {@link #WRITES} replies of {@code size} went to a reader that was behind. */
    private long measure(com.sun.management.ThreadMXBean allocation, long loopThread, int size, boolean owned)
            throws Exception {
        ByteBuffer shared = ByteBuffer.wrap(PacedReader.pattern(size, size));
        TcpServer server = TcpServer.builder().name("alloc").port(0).maxPendingBytes(64L * 1024 * 1024)
                .idleTimeout(Duration.ofSeconds(30)).handler((c, data) -> {
                    while (data.hasRemaining()) {
                        data.get();
                        if (owned) {
                            c.writeOwned(shared.duplicate());
                        } else {
                            c.write(shared.duplicate());
                        }
                    }
                }).build();
        server.start(group);
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(16 * 1024);
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
            socket.setSoTimeout(20_000);
            exchange(socket, size); // warm-up: JIT, the JDK's temporary direct buffers
            long before = allocation.getThreadAllocatedBytes(loopThread);
            exchange(socket, size);
            return allocation.getThreadAllocatedBytes(loopThread) - before;
        } finally {
            server.stopAccepting(Duration.ofSeconds(2));
            server.forceClose(Duration.ofSeconds(2));
        }
    }

    /** Asks for {@link #WRITES} replies at once, then reads them all: they queue while the reader is behind. */
    private static void exchange(Socket socket, int size) throws Exception {
        byte[] requests = new byte[WRITES];
        Arrays.fill(requests, (byte) 'w');
        socket.getOutputStream().write(requests);
        InputStream in = socket.getInputStream();
        byte[] expected = PacedReader.pattern(size, size);
        for (int i = 0; i < WRITES; i++) {
            byte[] reply = in.readNBytes(size);
            assertThat(Arrays.mismatch(reply, expected)).as("reply %d", i).isEqualTo(-1);
        }
    }
}
