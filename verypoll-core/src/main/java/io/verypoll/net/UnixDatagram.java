package io.verypoll.net;

import io.verypoll.Interest;
import io.verypoll.Registry;
import io.verypoll.Source;
import io.verypoll.Token;
import io.verypoll.internal.RegistryAccess;
import io.verypoll.internal.SelectedBackend;
import io.verypoll.spi.IoSource;
import java.io.Closeable;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A non-blocking Unix-domain datagram socket: mio's {@code UnixDatagram}, on the epoll backend
 * only (the JDK has no Unix-domain datagram channel). Bound to a socket file, to a name in Linux's
 * abstract namespace ({@link UnixAbstractAddress}), or unbound; {@link #pair()} gives two connected
 * ones. Readable means datagrams are queued: receive until {@link #recvFrom} returns null.
 *
 * <pre>{@code
 * UnixDatagram server = UnixDatagram.bind(Path.of("/run/app/dgram.sock"));
 * poll.registry().register(server, SERVER, Interest.READABLE);
 * SocketAddress from;
 * while ((from = server.recvFrom(buf.clear())) != null) {
 *     server.sendTo(buf.flip(), from);   // a reply needs a bound sender: an unbound one has no address
 * }
 * }</pre>
 *
 * <p>Addresses: a socket file is a {@link UnixDomainSocketAddress}; an unbound sender is {@code
 * UnixDomainSocketAddress.of("")} (as the JDK shows unnamed sockets); an abstract name is a {@link
 * UnixAbstractAddress}. Closing a socket bound to a file does not delete the file, as in mio.
 *
 * <p>On the NIO backend every factory throws {@link UnsupportedOperationException} naming the epoll
 * backend.
 */
public final class UnixDatagram implements Source, Closeable {
    /** Held, not inherited: the backend's half stays out of the public type's signature. */
    private final IoSource io;

    private UnixDatagram(IoSource io) {
        this.io = io;
    }

    /** Binds to a socket file (which must not exist). */
    public static UnixDatagram bind(Path path) throws IOException {
        return bind(UnixDomainSocketAddress.of(Objects.requireNonNull(path, "path")));
    }

    /**
     * Binds to {@code address}: a {@link UnixDomainSocketAddress} or a {@link UnixAbstractAddress}.
     *
     * @throws java.nio.channels.UnsupportedAddressTypeException for any other address
     * @throws java.net.BindException if the file or name is taken
     */
    public static UnixDatagram bind(SocketAddress address) throws IOException {
        checkAddress(address);
        return new UnixDatagram(SelectedBackend.get().unixDatagram(address));
    }

    /** A socket bound to no address: it can send, and receive once connected (mio's {@code unbound}). */
    public static UnixDatagram unbound() throws IOException {
        return new UnixDatagram(SelectedBackend.get().unixDatagram(null));
    }

    /** Two unnamed sockets connected to each other ({@code socketpair}). */
    public static UnixDatagram[] pair() throws IOException {
        IoSource[] ends = SelectedBackend.get().unixDatagramPair();
        return new UnixDatagram[] {new UnixDatagram(ends[0]), new UnixDatagram(ends[1])};
    }

    private static void checkAddress(SocketAddress address) {
        Objects.requireNonNull(address, "address");
        if (!(address instanceof UnixDomainSocketAddress) && !(address instanceof UnixAbstractAddress)) {
            throw new java.nio.channels.UnsupportedAddressTypeException();
        }
    }

    /** @return bytes sent; 0 if it would block (or {@code src} is empty: an empty datagram is still sent) */
    public int sendTo(ByteBuffer src, SocketAddress target) throws IOException {
        Objects.requireNonNull(src, "src");
        checkAddress(target);
        return io.sendTo(src, target);
    }

    /** @return the sender (see the class documentation), with the datagram in {@code dst}; null if it would block */
    public SocketAddress recvFrom(ByteBuffer dst) throws IOException {
        Objects.requireNonNull(dst, "dst");
        return io.recvFrom(dst);
    }

    /** Sets the default peer: {@link #send} goes there and {@link #recv} takes only its datagrams. */
    public void connect(SocketAddress peer) throws IOException {
        checkAddress(peer);
        io.connect(peer);
    }

    public void connect(Path path) throws IOException {
        connect(UnixDomainSocketAddress.of(Objects.requireNonNull(path, "path")));
    }

    /** @throws java.nio.channels.NotYetConnectedException unless connected; @return 0 if it would block */
    public int send(ByteBuffer src) throws IOException {
        Objects.requireNonNull(src, "src");
        return io.send(src);
    }

    /** @return the datagram's length (0 for an empty one), -1 if it would block */
    public int recv(ByteBuffer dst) throws IOException {
        Objects.requireNonNull(dst, "dst");
        int start = dst.position();
        if (io.recvFrom(dst) == null) {
            return -1;
        }
        return dst.position() - start;
    }

    /** The bound address; {@code UnixDomainSocketAddress.of("")} if unbound. */
    public SocketAddress localAddress() throws IOException {
        return io.localAddress();
    }

    /** @throws java.nio.channels.NotYetConnectedException unless connected (or made by {@link #pair()}) */
    public SocketAddress peerAddress() throws IOException {
        return io.peerAddress();
    }

    /** The pending error, cleared; null if none. */
    public IOException takeError() {
        return io.takeError();
    }

    @Override
    public void register(Registry registry, Token token, Interest interests) throws IOException {
        io.register(RegistryAccess.pollerOf(registry), token, interests);
    }

    @Override
    public void reregister(Registry registry, Token token, Interest interests) throws IOException {
        io.reregister(RegistryAccess.pollerOf(registry), token, interests);
    }

    @Override
    public void deregister(Registry registry) throws IOException {
        io.deregister(RegistryAccess.pollerOf(registry));
    }

    public boolean isOpen() {
        return io.isOpen();
    }

    /** Deregisters and closes (a socket file stays). */
    @Override
    public void close() throws IOException {
        io.close();
    }
}
