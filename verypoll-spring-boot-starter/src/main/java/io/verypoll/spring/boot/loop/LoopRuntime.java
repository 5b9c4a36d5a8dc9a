package io.verypoll.spring.boot.loop;

import java.nio.ByteBuffer;

/**
 * What servers need from the loop they run on: the loop's contract for the starter's servers and
 * for protocol layers built the same way, not an API for applications (they use {@link PollLoop}).
 * Unless a method says otherwise, call it on the loop's thread only.
 *
 * <pre>{@code
 * LoopRuntime runtime = loop.runtime();
 * ByteBuffer buffer = runtime.readBuffer().clear(); // shared by every connection of the loop
 * }</pre>
 */
public interface LoopRuntime {

    /** The loop's shared read buffer: its contents are valid only until the current callback returns. */
    ByteBuffer readBuffer();

    /** {@link System#nanoTime()} when the current iteration started: cheaper than asking per read. */
    long now();

    /** Arms (or moves) {@code timer} to fire at {@code deadlineNanos} on this loop. */
    void armTimer(LoopTimer timer, long deadlineNanos);

    void cancelTimer(LoopTimer timer);

    /** Continues work that stopped early for fairness: runs after this iteration's events. */
    void runLater(Runnable continuation);

    /**
     * Runs a hand-off of the starter's own (an accepted connection, a shutdown step) on this loop,
     * from any thread. Never refused for capacity: only once the loop has run its last tasks, and
     * then the caller cleans up itself.
     *
     * @return false if the loop no longer runs tasks
     */
    boolean executeInternal(Runnable task);

    /** Counts an error a handler threw; any thread. */
    void recordHandlerError(Throwable error);
}
