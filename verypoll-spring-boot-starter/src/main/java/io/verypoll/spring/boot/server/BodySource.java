package io.verypoll.spring.boot.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Iterator;
import java.util.Objects;

/**
 * A reply produced while it is sent ({@link Connection#writeBody}): the connection pulls the next
 * chunk only when the socket has taken the previous one, so a body of any length holds one chunk in
 * memory and goes exactly as fast as the peer reads. Replies written after it wait behind it, in order.
 *
 * <pre>{@code
 * connection.writeBody(BodySource.file(FileChannel.open(path), 0, size)); // closed when done
 * connection.writeBody(() -> rows.hasNext() ? encode(rows.next()) : null);
 * }</pre>
 *
 * <p>Both methods run on the connection's loop and must not block: a read of a file in the page cache
 * is fine, a query is not (run that with {@link Connection#offload}).
 */
@FunctionalInterface
public interface BodySource {

    /**
     * The next bytes of the body (between the buffer's position and limit), or null once it is
     * complete. Asked for only after the previous chunk has been taken by the socket entirely, so one
     * buffer may be refilled and returned every time. Throwing closes the connection
     * ({@link CloseReason#HANDLER_ERROR}): the peer would otherwise take a truncated body for a whole one.
     */
    ByteBuffer next() throws Exception;

    /**
     * The body is done: sent entirely, or dropped because the connection closed first. Called exactly
     * once, on the loop; release what the body holds here. A close that throws is counted as a handler
     * error and logged.
     */
    default void close() throws Exception {
    }

    /** A body of the chunks {@code chunks} gives, each sent as it is (hand over buffers nobody changes). */
    static BodySource of(Iterator<? extends ByteBuffer> chunks) {
        Objects.requireNonNull(chunks, "chunks");
        return () -> chunks.hasNext() ? chunks.next() : null;
    }

    /**
     * {@code count} bytes of {@code file} from {@code position}, read 64 KiB at a time into one direct
     * buffer as the socket takes them. The body owns the channel from now on and closes it when done.
     * A file shorter than promised fails the body (and closes the connection) rather than end it early.
     */
    static BodySource file(FileChannel file, long position, long count) throws IOException {
        return new FileBody(file, position, count);
    }
}
