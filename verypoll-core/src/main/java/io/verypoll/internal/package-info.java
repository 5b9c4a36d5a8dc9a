/**
 * The NIO backend and the backend choice: not API, and free to change; the module {@code
 * io.verypoll} does not export it. {@link io.verypoll.internal.SelectedBackend} picks the JVM's
 * backend once. {@link io.verypoll.internal.NioBackend} makes {@link
 * io.verypoll.internal.EdgeSelector}s, which run the select loop and keep readiness that did not fit
 * in a FIFO of deferred entries, and {@link io.verypoll.internal.NioSource}s, whose {@link
 * io.verypoll.internal.ChannelState} turns the level-triggered JDK selector into mio's edge
 * semantics for one channel, around one atomic state word. Every built-in source holds a private
 * {@link io.verypoll.spi.IoSource} (mio's sources hold an {@code IoSource} the same way) rather
 * than extending a class from here, so no public type's signature names this package.
 */
package io.verypoll.internal;
