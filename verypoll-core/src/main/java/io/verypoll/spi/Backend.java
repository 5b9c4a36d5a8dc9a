package io.verypoll.spi;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SelectableChannel;

/**
 * What the public types need from an operating-system interface, as mio keeps each OS behind
 * {@code sys}: pollers and sockets. verypoll-core has the NIO backend; {@code io.verypoll.epoll}
 * provides another through {@link java.util.ServiceLoader}. One backend is chosen per JVM, so
 * every source and every Poll of a JVM come from the same one.
 *
 * <p>Not API: exported to {@code io.verypoll.epoll} only, and free to change with it.
 */
public interface Backend {
    /** "nio" or "epoll": the value of {@code -Dverypoll.backend} that selects it. */
    String name();

    /**
     * Null if this backend works in this JVM; otherwise why not, in a sentence fit for an
     * exception message. Must not load anything this JVM cannot run, nor call restricted methods.
     */
    String unavailableReason();

    Poller openPoller() throws IOException;

    /** A listening TCP socket with {@code SO_REUSEADDR}, and {@code SO_REUSEPORT} if asked (set before the bind). */
    IoSource tcpBind(SocketAddress address, int backlog, boolean reusePort) throws IOException;

    /** A TCP socket with a non-blocking connect started. */
    IoSource tcpConnect(SocketAddress address) throws IOException;

    /** A UDP socket of the address's family, bound. */
    IoSource udpBind(SocketAddress address) throws IOException;

    /**
     * A listening Unix-domain stream socket bound to {@code address}: a {@code
     * UnixDomainSocketAddress}, or an {@code io.verypoll.net.UnixAbstractAddress} (epoll only).
     */
    IoSource unixBind(SocketAddress address, int backlog) throws IOException;

    /** A Unix-domain stream socket with a non-blocking connect to {@code address} (as for {@link #unixBind}) started. */
    IoSource unixConnect(SocketAddress address) throws IOException;

    /** Two connected Unix-domain stream sockets. */
    IoSource[] unixPair() throws IOException;

    /**
     * A Unix-domain datagram socket bound to {@code address} (a {@code UnixDomainSocketAddress} or
     * an {@code io.verypoll.net.UnixAbstractAddress}), or unbound if null.
     */
    default IoSource unixDatagram(SocketAddress address) throws IOException {
        throw IoSource.needsEpoll("UnixDatagram", "the JDK has no Unix-domain datagram channel (JEP 380 added stream sockets only)");
    }

    /** Two connected Unix-domain datagram sockets. */
    default IoSource[] unixDatagramPair() throws IOException {
        throw IoSource.needsEpoll("UnixDatagram", "the JDK has no Unix-domain datagram channel (JEP 380 added stream sockets only)");
    }

    /** A pipe: element 0 reads, element 1 writes. */
    IoSource[] pipe() throws IOException;

    /** A source owning {@code channel} ({@code fromChannel}); made non-blocking. */
    IoSource adopt(SelectableChannel channel) throws IOException;

    /** A source watching a channel whose I/O the caller does ({@code ChannelSource}); made non-blocking. */
    IoSource watch(SelectableChannel channel) throws IOException;

    /** A source watching a raw file descriptor the caller owns ({@code FdSource}). */
    IoSource watch(int fd) throws IOException;
}
