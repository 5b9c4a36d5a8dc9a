/**
 * The NIO side of verypoll: not API, and free to change. {@link io.verypoll.internal.EdgeSelector}
 * runs the select loop; {@link io.verypoll.internal.ChannelState} turns the level-triggered JDK
 * selector into mio's edge semantics for one channel; every built-in source extends {@link
 * io.verypoll.internal.ChannelBackedSource}.
 */
package io.verypoll.internal;
