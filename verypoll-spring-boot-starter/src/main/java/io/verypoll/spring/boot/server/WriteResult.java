package io.verypoll.spring.boot.server;

/**
 * What a write tells the writer: go on, slow down, or stop. {@link Connection#writeOwned} and
 * {@link Connection#writeBody} return it; {@link Connection#writeStatus()} answers it at any time, and
 * the boolean of {@link Connection#write(java.nio.ByteBuffer)} is {@code writeStatus() == OK}.
 *
 * <p>The watermarks decide between the first two: a connection whose pending bytes (written, not yet
 * taken by the socket) pass the server's {@code high-watermark} answers {@link #SLOW_DOWN}, stops
 * reading, and calls {@code onWritable} once they drain to {@code low-watermark}. A streamed body
 * counts as above the high watermark until it has been sent. {@link #CLOSED} means the write was not
 * taken at all. A write waiting behind offloaded replies ({@link Connection#offload}) answers the same
 * way, its bytes counted as pending.
 */
public enum WriteResult {
    /** Taken (sent, or queued in order), and pending bytes are at or below the high watermark: go on. */
    OK,
    /**
     * Taken, but pending bytes are above the high watermark (or a streamed body is in progress): stop
     * producing until {@code onWritable}. Writing more is still taken, up to {@code max-pending-bytes}
     * of copies.
     */
    SLOW_DOWN,
    /**
     * Not taken: the connection no longer takes writes (closed, closing, output shut down), or this
     * write took its copies past {@code max-pending-bytes} and closed it ({@code pending-cap}). Stop
     * writing to it.
     */
    CLOSED;

    /** True unless {@link #CLOSED}: the bytes were taken and will be sent in order. */
    public boolean isTaken() {
        return this != CLOSED;
    }
}
