package io.verypoll.spring.boot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * Bytes a connection could not write yet, as a queue of chunks. A connection has none while the peer
 * keeps up, so an idle connection holds no output memory. Chunks are kept in read mode (position =
 * next byte to send, limit = end of data) and small writes are appended to the last chunk.
 */
final class PendingOutput {

    private static final int MIN_CHUNK = 4 * 1024;
    private static final int MAX_CHUNK = 64 * 1024;

    private final ArrayDeque<ByteBuffer> chunks = new ArrayDeque<>();
    private long bytes;

    long bytes() {
        return bytes;
    }

    void append(ByteBuffer src) {
        while (src.hasRemaining()) {
            ByteBuffer tail = chunks.peekLast();
            if (tail == null || tail.limit() == tail.capacity()) {
                int size = Math.max(MIN_CHUNK, Math.min(MAX_CHUNK, src.remaining()));
                tail = ByteBuffer.allocate(size);
                tail.limit(0);
                chunks.addLast(tail);
            }
            int n = Math.min(tail.capacity() - tail.limit(), src.remaining());
            int readPosition = tail.position();
            int end = tail.limit();
            tail.limit(end + n).position(end);
            int srcLimit = src.limit();
            src.limit(src.position() + n);
            tail.put(src);
            src.limit(srcLimit);
            tail.position(readPosition);
            bytes += n;
        }
    }

    /** Writes until the channel would block or nothing is left; returns the bytes written. */
    long flushTo(StreamChannel channel) throws IOException {
        long written = 0;
        ByteBuffer head;
        while ((head = chunks.peekFirst()) != null) {
            int n = channel.write(head);
            written += n;
            bytes -= n;
            if (head.hasRemaining()) {
                break;
            }
            chunks.pollFirst();
        }
        return written;
    }
}
