package io.verypoll.spring.boot.loop;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Tasks for one loop from any thread: lock-free, bounded, and closable without losing a task in
 * silence. Once {@link #close()} has been called, an offer either lands before the loop's last drain
 * (and runs) or is taken back and reported as {@link Offer#CLOSED}, never accepted and then dropped.
 */
final class LoopTaskQueue {

    enum Offer { ACCEPTED, FULL, CLOSED }

    // Offer is loaded with the queue, not at the first offer: that may come at EMFILE (a connection
    // closing frees a descriptor and wakes a paused listener), when loading a class can fail for
    // want of a descriptor, and the JVM then fails that call site for good (JVMS 5.4.3).
    static {
        Offer.values();
    }

    private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger size = new AtomicInteger();
    private final int capacity;
    private volatile boolean closed;

    LoopTaskQueue(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1: " + capacity);
        }
        this.capacity = capacity;
    }

    Offer offer(Runnable task) {
        if (closed) {
            return Offer.CLOSED;
        }
        if (size.incrementAndGet() > capacity) {
            size.decrementAndGet();
            return Offer.FULL;
        }
        queue.add(task);
        // The loop closes, then drains until empty: a task added after that drain is still here.
        if (closed && queue.remove(task)) {
            size.decrementAndGet();
            return Offer.CLOSED;
        }
        return Offer.ACCEPTED;
    }

    /** The next task, or null; only the loop thread polls. */
    Runnable poll() {
        Runnable task = queue.poll();
        if (task != null) {
            size.decrementAndGet();
        }
        return task;
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    int size() {
        return size.get();
    }

    /** Refuses later offers; the loop then drains what was accepted. */
    void close() {
        closed = true;
    }
}
