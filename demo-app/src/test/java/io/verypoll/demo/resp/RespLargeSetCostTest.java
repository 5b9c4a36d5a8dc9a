package io.verypoll.demo.resp;

import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.server.TcpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.verypoll.demo.resp.Resp.ascii;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * What a 1 MiB SET costs the loop thread in heap: the value's own array and little else, because
 * the decoder announces the command's length once it has read the {@code $<length>} header, the
 * connection makes one array of that size and copies each read into it, and SET keeps that array
 * ({@link io.verypoll.spring.boot.server.Connection#detachFrame}) instead of copying the value
 * out. Before, the array grew by doubling as the 16 reads arrived (64 KiB to 2 MiB, 4 MiB made)
 * and SET copied the value once more: about 5 MiB per SET. Measured with the JVM's per-thread
 * allocation counter on the loop's thread; the bytes also come back intact.
 */
@Timeout(120)
class RespLargeSetCostTest {

    private static final int MIB = 1 << 20;

    private final PollLoopGroup group = new PollLoopGroup(
            new PollLoopGroup.Settings(1, 64, Duration.ofSeconds(2), Duration.ofSeconds(1), 64, 65_536));

    @AfterEach
    void stop() {
        assertThat(group.stop(Duration.ofSeconds(5))).isTrue();
    }

    @Test
    void aMebibyteSetAllocatesLittleMoreThanTheValueOnTheLoopThread() throws Exception {
        assertThat(allocatedPerSet(MIB)).as("bytes allocated per 1 MiB SET").isLessThan(MIB + MIB / 8);
    }

    @Test
    void aSixtyFourKibibyteSetAllocatesLittleMoreThanTheValueOnTheLoopThread() throws Exception {
        // A read buffer's worth and a few bytes: before, a 64 KiB stash regrown to 128 KiB and a copy of the value.
        assertThat(allocatedPerSet(64 * 1024)).as("bytes allocated per 64 KiB SET").isLessThan(64 * 1024 * 9 / 8);
    }

    private long allocatedPerSet(int size) throws Exception {
        java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        assumeThat(threads).isInstanceOf(com.sun.management.ThreadMXBean.class);
        com.sun.management.ThreadMXBean allocation = (com.sun.management.ThreadMXBean) threads;
        assumeThat(allocation.isThreadAllocatedMemorySupported()).isTrue();
        allocation.setThreadAllocatedMemoryEnabled(true);

        RespStore store = new RespStore();
        TcpServer server = RespServer.builder(group, store, RespLimits.DEFAULTS).port(0).build();
        server.start(group);
        long[] loopThread = new long[1];
        CountDownLatch found = new CountDownLatch(1);
        group.loop(0).execute(() -> {
            loopThread[0] = Thread.currentThread().getId();
            found.countDown();
        });
        assertThat(found.await(5, TimeUnit.SECONDS)).isTrue();
        byte[] value = new byte[size];
        new Random(7).nextBytes(value);
        byte[] set = Resp.command(ascii("SET"), ascii("large"), value);
        try (RespClient client = RespClient.connect(server.port())) {
            for (int i = 0; i < 10; i++) { // warm-up: JIT, the loop's lazily made structures
                client.send(set);
                assertThat(client.read()).isEqualTo("OK");
            }
            int sets = 20;
            long before = allocation.getThreadAllocatedBytes(loopThread[0]);
            for (int i = 0; i < sets; i++) {
                client.send(set);
                assertThat(client.read()).isEqualTo("OK");
            }
            long perSet = (allocation.getThreadAllocatedBytes(loopThread[0]) - before) / sets;
            System.out.println("loop thread allocated " + perSet + " bytes per SET of " + value.length + " bytes ("
                    + String.format("%.2f", (double) perSet / value.length) + " x the value)");
            assertThat(client.call("GET", "large")).isEqualTo(Resp.text(value));
            return perSet;
        } finally {
            server.stopAccepting(Duration.ofSeconds(2));
            server.forceClose(Duration.ofSeconds(2));
        }
    }
}
