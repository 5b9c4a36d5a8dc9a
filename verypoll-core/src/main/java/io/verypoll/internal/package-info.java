/**
 * The NIO side of verypoll: not API, and free to change. {@link io.verypoll.internal.EdgeSelector}
 * runs the select loop and keeps readiness that did not fit in a FIFO of deferred entries; {@link
 * io.verypoll.internal.ChannelState} turns the level-triggered JDK selector into mio's edge
 * semantics for one channel, around one atomic state word; every built-in source extends {@link
 * io.verypoll.internal.ChannelBackedSource}.
 */
package io.verypoll.internal;
