package io.verypoll.net;

/**
 * Which half of a stream {@link TcpStream#shutdown} or {@link UnixStream#shutdown} closes.
 *
 * <pre>{@code
 * stream.shutdown(Shutdown.WRITE); // the peer reads end of stream; we can still read
 * }</pre>
 */
public enum Shutdown {
    /** No more reads: later reads return -1 and events carry read-closed. */
    READ,
    /** No more writes: the peer sees end of stream; writes throw {@link java.nio.channels.ClosedChannelException}. */
    WRITE,
    /** Both halves. */
    BOTH
}
