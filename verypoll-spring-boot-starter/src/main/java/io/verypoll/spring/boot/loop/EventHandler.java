package io.verypoll.spring.boot.loop;

import io.verypoll.Event;

/**
 * Receives the events of one registered token, always on the thread of the loop the source was
 * registered with.
 *
 * <p>verypoll's edge semantics apply: after an event, perform the operation until it would block
 * (read returns 0, accept returns null, write returns 0); until then no further event is promised for
 * that direction. The {@link Event} is a view that is valid only during this call.
 *
 * <p>An exception thrown here is caught by the loop, counted in {@code verypoll.handler.errors}, and
 * the source is deregistered and closed (if it is {@link java.io.Closeable}); the loop keeps running.
 */
@FunctionalInterface
public interface EventHandler {

    void onEvent(Event event) throws Exception;
}
