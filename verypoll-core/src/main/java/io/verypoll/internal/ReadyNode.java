package io.verypoll.internal;

import io.verypoll.spi.ReadyList;

/**
 * Something a poll may owe an event to (a registered key, a waker), and its place in {@link
 * EdgeSelector}'s queue of deferred entries: readiness found when the events were full waits there
 * for a later poll, first in, first out. The fields belong to the thread that polls; an entry is
 * queued at most once, so the queue is bounded by the keys and wakers of one selector.
 */
abstract class ReadyNode {
    ReadyNode next;
    boolean queued;
    /** The readiness found for it while queued; merged, not queued twice. */
    int pending;

    /**
     * Adds this entry's event to {@code out}, which has room, if it is still owed one: the check is
     * made now, so what was deregistered, closed or lowered meanwhile is dropped.
     */
    abstract void deliver(int bits, ReadyList out);
}
