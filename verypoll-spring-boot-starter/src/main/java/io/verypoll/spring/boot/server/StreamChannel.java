package io.verypoll.spring.boot.server;

import io.verypoll.Source;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.ByteChannel;
import java.nio.channels.GatheringByteChannel;

/**
 * The wire side of a {@link Connection}: what it reads from and writes to. The plain one is the
 * socket itself ({@link SocketStreamChannel}); a layer that transforms bytes on the wire (TLS, a
 * PROXY-protocol header) wraps another channel. Framing is not done here but above, in the
 * connection's handler. Gathering writes send a batch of replies, or a header and a body, with one
 * system call. With one implementation loaded, calls through this interface compile to
 * direct calls, so the seam costs nothing while unused.
 */
interface StreamChannel extends ByteChannel, GatheringByteChannel {

    /** What the loop registers for readiness. */
    Source source();

    /** Sends the end of stream after everything written so far. */
    void shutdownOutput() throws IOException;

    /** The peer's address, or null once it can no longer be told (for logs and the endpoint). */
    SocketAddress remoteAddress();

    /** The local address, or null once it can no longer be told. */
    SocketAddress localAddress();

    /** The error a failed connect or a reset left behind, if any; cleared by the call. */
    IOException takeError();
}
