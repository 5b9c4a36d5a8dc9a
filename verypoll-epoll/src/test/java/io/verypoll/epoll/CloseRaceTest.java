package io.verypoll.epoll;

import static org.assertj.core.api.Assertions.assertThat;

import io.verypoll.TestUtil;
import io.verypoll.TestUtil.Bg;
import io.verypoll.net.UnixStream;
import io.verypoll.pipe.Pipe;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Closing a source while other threads do I/O on it: no call may reach the descriptor number
 * after the kernel has given it to another file. Writers hammer a pipe's sender; the main thread
 * closes it and at once opens socket pairs, which get the freed numbers; not one byte of the old
 * writers may show up in them. Without the in-flight count in {@link Fd} a writer that checked
 * "open" just before the close writes into the new socket (tried: the test then fails).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CloseRaceTest {
    private static final int ROUNDS = 300;
    private static final int WRITERS = 4;

    @Test
    void closeRacingWithWritesNeverTouchesAReusedDescriptor() throws Exception {
        int reused = 0;
        long writesBeforeClose = 0;
        for (int round = 0; round < ROUNDS; round++) {
            Pipe victim = Pipe.open();
            int victimFd = fdOf(victim.sender());
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong writes = new AtomicLong();
            List<Bg> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                writers.add(Bg.start("writer-" + w, () -> {
                    ByteBuffer x = ByteBuffer.wrap(new byte[] {'X'});
                    while (!stop.get()) {
                        try {
                            victim.sender().write(x.clear());
                            writes.incrementAndGet();
                        } catch (ClosedChannelException closed) {
                            return; // the only way out
                        }
                    }
                }));
            }
            while (writes.get() < 20) {
                Thread.onSpinWait();
            }
            victim.sender().close();
            // The lowest free numbers come back first: these sockets take the sender's number, and
            // a stray write into either end shows up at the other.
            UnixStream[][] fresh = {UnixStream.pair(), UnixStream.pair()};
            for (UnixStream[] pair : fresh) {
                if (fdOf(pair[0]) == victimFd || fdOf(pair[1]) == victimFd) {
                    reused++;
                }
            }
            // Let the writers run on into the close: each must end with ClosedChannelException.
            for (Bg w : writers) {
                w.join();
            }
            stop.set(true);
            writesBeforeClose += writes.get();
            for (UnixStream[] pair : fresh) {
                for (UnixStream end : pair) {
                    ByteBuffer in = ByteBuffer.allocate(64);
                    assertThat(end.read(in)).as("bytes of the old writers in a new socket (round %d)", round).isZero();
                }
                pair[0].close();
                pair[1].close();
            }
            victim.receiver().close();
        }
        // A close with writes in flight frees the number only when the last one is out, so a new
        // pipe gets it at once only where none was: the race is exercised, the hazard never hit.
        System.out.printf("CloseRaceTest: %d rounds, %d writes, the closed number taken at once by a new pipe in %d rounds%n",
                ROUNDS, writesBeforeClose, reused);
        assertThat(reused).as("rounds where a new pipe got the closed descriptor's number").isPositive();
    }

    /** Closes from several threads at once, with reads in flight: one close wins, nothing else fails. */
    @Test
    void concurrentClosesAndReads() throws Exception {
        for (int round = 0; round < 200; round++) {
            Pipe pipe = Pipe.open();
            List<Bg> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                boolean closer = t % 2 == 0;
                threads.add(Bg.start("t" + t, () -> {
                    if (closer) {
                        pipe.receiver().close();
                        return;
                    }
                    ByteBuffer in = ByteBuffer.allocate(16);
                    try {
                        while (true) {
                            pipe.receiver().read(in.clear());
                        }
                    } catch (ClosedChannelException expected) {
                        // done
                    }
                }));
            }
            for (Bg t : threads) {
                t.join();
            }
            assertThat(pipe.receiver().isOpen()).isFalse();
            pipe.sender().close();
        }
        // Every descriptor was really closed once: none left behind.
        int before = TestUtil.baselineFds();
        for (int i = 0; i < 50; i++) {
            Pipe p = Pipe.open();
            p.sender().close();
            p.receiver().close();
        }
        TestUtil.assertFdCount(before);
    }

    static int fdOf(Object publicSource) throws IOException {
        return ((EpollSource) TestUtil.seam(publicSource)).fd.fd;
    }
}
