package io.verypoll.spring.boot.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A client that reads at a fixed rate, as a slow but live peer does: after each read it sleeps until
 * the bytes read so far are due at that rate. The sleeps shape the load; nothing waits on them.
 */
final class PacedReader {

    private final long bytesPerSecond;
    private final Runnable eachRead;

    /** {@code eachRead} runs after every read (to sample the server while the reply is on its way). */
    PacedReader(long bytesPerSecond, Runnable eachRead) {
        this.bytesPerSecond = bytesPerSecond;
        this.eachRead = eachRead;
    }

    /** Reads {@code count} bytes at the rate, or fewer if the stream ends first. */
    byte[] read(InputStream in, int count) throws IOException {
        ByteArrayOutputStream received = new ByteArrayOutputStream(count);
        byte[] chunk = new byte[16 * 1024];
        long start = System.nanoTime();
        while (received.size() < count) {
            int n = in.read(chunk, 0, Math.min(chunk.length, count - received.size()));
            if (n < 0) {
                break;
            }
            received.write(chunk, 0, n);
            eachRead.run();
            long dueNanos = TimeUnit.SECONDS.toNanos(received.size()) / bytesPerSecond;
            long aheadNanos = dueNanos - (System.nanoTime() - start);
            if (aheadNanos > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(aheadNanos);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
        }
        return received.toByteArray();
    }

    /**
     * 5 MiB, or 1 MiB more than the kernel's largest send buffer (tcp_wmem's maximum) where that is
     * larger: a reply the kernel cannot swallow at once, so that the server has to hold some of it.
     */
    static int beyondKernelBuffers() {
        long kernel = 4L << 20;
        try {
            kernel = Long.parseLong(Files.readString(Path.of("/proc/sys/net/ipv4/tcp_wmem")).trim().split("\\s+")[2]);
        } catch (IOException | RuntimeException e) {
            // Not Linux: assume the usual maximum.
        }
        return (int) Math.max(5L << 20, kernel + (1L << 20));
    }

    /** {@code size} bytes of a pattern that shows a shifted, lost or repeated byte. */
    static byte[] pattern(int size, int seed) {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) (i * 31 + (i >>> 8) + seed);
        }
        return bytes;
    }
}
