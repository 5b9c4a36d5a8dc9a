/**
 * The NIO side of verypoll: not API, and free to change; the module {@code io.verypoll} does not
 * export it. {@link io.verypoll.internal.EdgeSelector} runs the select loop and keeps readiness
 * that did not fit in a FIFO of deferred entries; {@link io.verypoll.internal.ChannelState} turns
 * the level-triggered JDK selector into mio's edge semantics for one channel, around one atomic
 * state word. Every built-in source holds a private {@code ChannelState} (mio's sources hold an
 * {@code IoSource} the same way) rather than extending a class from here, so no public type's
 * signature names this package.
 */
package io.verypoll.internal;
