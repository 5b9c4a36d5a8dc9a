package io.verypoll;

/**
 * Readiness of one source, as returned by {@link Poll#poll}: a view into {@link Events}, valid
 * until the next poll or {@link Events#clear()}. Copy what must outlive it.
 *
 * <p>{@link #isReadable()} and {@link #isWritable()} are exact. The other flags are hints: they
 * never report a false positive, and may report a false negative, because NIO hides the kernel's
 * hang-up and error bits (the epoll backend reports them). What verypoll learns from I/O on the
 * source (end of stream, a reset, a failed connect, an own {@code shutdown}) appears on that
 * source's later events.
 *
 * <pre>{@code
 * for (Event event : events) {
 *     if (event.isReadable()) { drainReads(event.token()); }
 *     if (event.isWritable()) { flushWrites(event.token()); }
 *     if (event.isReadClosed()) { closeQuietly(event.token()); }
 * }
 * }</pre>
 */
public interface Event {
    /** The token given when the source was (re)registered. */
    Token token();

    boolean isReadable();

    boolean isWritable();

    /** An error was seen on the source (a reset, a failed connect). A hint. */
    boolean isError();

    /** The read half is closed (end of stream, own shutdown of reading, reset). A hint. */
    boolean isReadClosed();

    /** The write half is closed (own shutdown of writing, reset, failed connect). A hint. */
    boolean isWriteClosed();

    /** Always false: there is no priority interest (NIO cannot watch for out-of-band data). */
    boolean isPriority();
}
