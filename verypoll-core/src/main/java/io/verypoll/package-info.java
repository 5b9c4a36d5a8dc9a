/**
 * verypoll: mio's readiness API for Java, on {@link java.nio.channels.Selector}, or on Linux's
 * epoll with the {@code verypoll-epoll} module.
 *
 * <h2>Guide</h2>
 *
 * <p><b>1. Open a poll and register sources.</b> A {@link io.verypoll.Poll} watches sources: TCP,
 * UDP and Unix-domain sockets ({@code io.verypoll.net}), pipes ({@code io.verypoll.pipe}), or any
 * {@link java.nio.channels.SelectableChannel} through {@link io.verypoll.ChannelSource}. Each
 * registration names a {@link io.verypoll.Token}, which comes back in every event of that source,
 * and an {@link io.verypoll.Interest}: readable, writable or both.
 *
 * <p><b>2. Loop: poll, then handle each event.</b> {@link io.verypoll.Poll#poll} fills a reused
 * {@link io.verypoll.Events} and returns once at least one source is ready, at the timeout (a
 * {@link java.time.Duration}, or an amount of a {@link java.util.concurrent.TimeUnit}), or on
 * interrupt. A source gets at most one event per poll. Readiness not returned now, because the
 * events were full, is returned by a later poll, first come first served: no source or waker
 * starves, however small the capacity.
 *
 * <p><b>3. Drain until it would block.</b> An event says a direction became ready. Read (or write,
 * or accept) until the call reports would-block: {@code read} and {@code write} return 0, {@code
 * accept} and {@code recvFrom} return null. Only then is that direction watched again; until then
 * no further event is promised for it, and an undrained source stays silent rather than spinning
 * the loop. Events may be spurious: the operation then simply would block. On streams and pipes
 * a short read (fewer bytes than the buffer had room for) and a partial write also count as
 * would-block, so you may stop there and save the call that would only return 0.
 *
 * <pre>{@code
 * try (Poll poll = Poll.open(); TcpListener listener = TcpListener.bind(new InetSocketAddress("127.0.0.1", 7000))) {
 *     Token server = new Token(0);
 *     poll.registry().register(listener, server, Interest.READABLE);
 *     Map<Token, TcpStream> connections = new HashMap<>();
 *     Events events = Events.withCapacity(256);
 *     ByteBuffer buf = ByteBuffer.allocateDirect(16 * 1024);
 *     long next = 1;
 *     while (true) {
 *         poll.poll(events, null);
 *         for (Event event : events) {
 *             if (event.token().equals(server)) {
 *                 TcpStream stream;
 *                 while ((stream = listener.accept()) != null) {       // accept until null
 *                     Token token = new Token(next++);
 *                     poll.registry().register(stream, token, Interest.READABLE);
 *                     connections.put(token, stream);
 *                 }
 *             } else {
 *                 TcpStream stream = connections.get(event.token());
 *                 int n;
 *                 while ((n = stream.read(buf.clear())) > 0) {        // read until 0
 *                     buf.flip();
 *                     while (buf.hasRemaining() && stream.write(buf) > 0) { } // echo (a real server keeps what is left)
 *                 }
 *                 if (n < 0) {                                        // end of stream
 *                     connections.remove(event.token()).close();
 *                 }
 *             }
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p><b>4. Other threads</b> may register, reregister, deregister and close sources while a poll
 * is blocked, and the change takes effect in that poll: a registration of a ready source always
 * gets its event, and after {@code deregister} or {@code close} returns, later polls never report
 * the source under its old registration. A {@link io.verypoll.Waker} wakes the poll with an event
 * of its own.
 *
 * <h2>What differs from mio, and why</h2>
 *
 * <p>On the NIO backend (the epoll backend keeps the contract with the kernel's edges and hints:
 * see the README's table, which has a column for each):
 *
 * <ul>
 *   <li>The JDK selector is level-triggered; verypoll gives edge semantics by disarming a direction
 *       once reported and re-arming it when I/O would block. It re-arms only the direction that
 *       blocked (mio re-arms both; its issue 1963). A short read or partial write on a stream also
 *       re-arms: on a level-triggered selector that is safe, and it saves a system call per event.
 *   <li>{@code isError}, {@code isReadClosed} and {@code isWriteClosed} are hints learned from I/O;
 *       NIO hides the kernel's hang-up and error bits, so a source whose directions are all
 *       disarmed (not drained) learns of a reset only when it next does I/O. {@code isPriority} is
 *       always false.
 *   <li>Not possible on NIO and so absent: {@code UnixDatagram}, {@code peek}, {@code
 *       Interest.PRIORITY}, TTL on TCP.
 *   <li>Several {@link io.verypoll.Waker}s per poll are allowed (mio allows one); none uses a file
 *       descriptor.
 *   <li>Closing a registered channel frees its descriptor only when its selector next selects; the
 *       built-in sources wake the polling thread so that this happens at once.
 *   <li>After an {@code accept} error (such as too many open files) the listener is not watched
 *       again until {@code accept} returns null or it is reregistered: the pending connection would
 *       otherwise make the selector report it forever.
 * </ul>
 *
 * <h2>Backends</h2>
 *
 * One backend serves a JVM, chosen at the first {@code Poll} or source by the system property
 * {@code verypoll.backend}: {@code nio} (the default: {@link java.nio.channels.Selector}, every
 * JDK from 17), {@code epoll} (Linux x86_64 and aarch64, Java 22+, the {@code io.verypoll.epoll}
 * module present and native access enabled, else an {@link IllegalStateException} saying which is
 * missing), or {@code auto} (epoll where it works, NIO otherwise). The contract is the same on
 * both; on epoll the hints are the kernel's (exact from the first event), sources are raw
 * descriptors ({@code channel()} and {@code fromChannel} throw {@link
 * UnsupportedOperationException}), and {@link io.verypoll.FdSource} watches raw descriptors.
 *
 * <h2>Module and class path</h2>
 *
 * verypoll-core is the named module {@code io.verypoll} ({@code requires io.verypoll;} in your
 * {@code module-info.java}). It exports {@code io.verypoll}, {@code io.verypoll.net} and {@code
 * io.verypoll.pipe}, requires only {@code java.base}, and does not export {@code
 * io.verypoll.internal}: no public type names anything from there. The backend seam, {@code
 * io.verypoll.spi}, is exported to {@code io.verypoll.epoll} only, which provides its backend as a
 * service. On the class path it behaves the same, its descriptor ignored, and the backend is found
 * through {@code META-INF/services}.
 *
 * <h2>Allocation</h2>
 *
 * {@code poll} into a reused {@code Events} allocates nothing. The one exception is the JDK's own:
 * {@code Selector.select(Consumer)} boxes file descriptors of 128 and above as {@code Integer}.
 * Run with {@code -XX:AutoBoxCacheMax=65536} (or more than your highest descriptor) to avoid it.
 */
package io.verypoll;
