package io.verypoll.epoll;

import static io.verypoll.epoll.EdgeWord.connecting;

import io.verypoll.net.Shutdown;
import io.verypoll.spi.Readiness;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NotYetConnectedException;

/**
 * A stream: a TCP or Unix-domain socket, or one end of a pipe. Reads and writes go straight
 * between the buffer and the descriptor, heap buffers included (the calls are {@code critical}),
 * and re-arm their direction as the core's contract says: on would-block, on a short read, on a
 * partial write. Sockets send with {@code MSG_NOSIGNAL}.
 */
final class StreamSource extends EpollSource {
    /** Return values of the raw calls besides a byte count. */
    private static final long EOF = -1;
    private static final long WOULD_BLOCK = -2;

    private final boolean socket;
    private volatile boolean inputShut;
    private volatile boolean outputShut;
    private volatile SocketAddress peer;

    StreamSource(Fd fd, int family, boolean socket, boolean connecting) {
        super(fd, family, connecting);
        this.socket = socket;
    }

    /**
     * A pipe's hang-up is the other end's close: read-closed for the reading end (it has no write
     * half); an error on the writing end means no reader is left, so writing is closed too.
     */
    @Override
    int kernelHints(int events) {
        if (socket) {
            return super.kernelHints(events);
        }
        int h = 0;
        if ((events & Libc.EPOLLHUP) != 0) {
            h |= Readiness.READ_CLOSED;
        }
        if ((events & Libc.EPOLLERR) != 0) {
            h |= Readiness.ERROR | Readiness.WRITE_CLOSED;
        }
        return h;
    }

    // ---- connect --------------------------------------------------------------------------------

    /**
     * For I/O while a connect may be in progress: true while it is (the I/O would block). Finishes
     * the connect otherwise, so a stream that is not registered gets connected too.
     *
     * @throws IOException the connect failed
     */
    private boolean stillConnecting() throws IOException {
        if (!connecting(state)) {
            return false;
        }
        int err = connectError();
        if (err == 0 && !hasPeer()) {
            return true;
        }
        if (finishConnect(err) != null) {
            throw failed(takeErrorForThrow());
        }
        return false;
    }

    @Override
    boolean connectDone() {
        int err;
        try {
            err = connectError();
        } catch (ClosedChannelException e) {
            return false;
        }
        if (err == 0 && !hasPeer()) {
            return false; // not yet: an early event
        }
        finishConnect(err);
        return true;
    }

    /** SO_ERROR: the connect's failure, or 0. */
    private int connectError() throws ClosedChannelException {
        fd.acquire();
        try {
            Scratch s = Scratch.get();
            if (Libc.getIntOption(s, fd.fd, Libc.SOL_SOCKET, Libc.SO_ERROR) < 0) {
                return s.errno();
            }
            return s.ints.get(java.lang.foreign.ValueLayout.JAVA_INT, 0);
        } finally {
            fd.release();
        }
    }

    private boolean hasPeer() {
        if (!fd.tryAcquire()) {
            return false;
        }
        try {
            return Libc.peerName(Scratch.get(), fd.fd) == 0;
        } finally {
            fd.release();
        }
    }

    /**
     * Ends the connect (once: the poll thread and an I/O call may both get here). A failure is
     * kept for {@code takeError()} and teaches error and write-closed, as on NIO.
     *
     * @return the failure, or null
     */
    private synchronized IOException finishConnect(int err) {
        if (!connecting(state)) {
            return null;
        }
        connected();
        if (err == 0) {
            return null;
        }
        IOException e = Errno.connect(err);
        setError(e);
        learned(Readiness.ERROR | Readiness.WRITE_CLOSED);
        return e;
    }

    /** The failure of a connect found by an I/O call: thrown, and no longer pending. */
    private IOException takeErrorForThrow() {
        IOException e = takeError();
        return e != null ? e : new ClosedChannelException();
    }

    // ---- reads ----------------------------------------------------------------------------------

    /** One read into {@code dst}: a byte count, {@link #EOF} or {@link #WOULD_BLOCK}; the position moves. */
    private long readRaw(ByteBuffer dst) throws IOException {
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("Read-only buffer");
        }
        int pos = dst.position();
        int room = dst.limit() - pos;
        if (room == 0) {
            return 0;
        }
        Scratch s = Scratch.get();
        fd.acquire();
        long n;
        try {
            n = Transfer.read(s, fd.fd, dst, false);
        } catch (Throwable t) {
            throw Transfer.failure(t);
        } finally {
            fd.release();
        }
        if (n > 0) {
            dst.position(pos + (int) n);
            return n;
        }
        if (n == 0) {
            return EOF;
        }
        int err = s.errno();
        if (err == Libc.EINTR) {
            rearm(R, true); // a signal, not would-block: not retried here (see Transfer), so ask again
            return WOULD_BLOCK;
        }
        if (err == Libc.EAGAIN) {
            return WOULD_BLOCK;
        }
        throw failed(Errno.io(err));
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (connecting(state) && stillConnecting()) {
            return 0;
        }
        if (inputShut) {
            fd.acquire(); // closed: ClosedChannelException, as NIO
            fd.release();
            return -1;
        }
        long n = readRaw(dst);
        if (n > 0) {
            if (dst.hasRemaining()) {
                rearm(R); // a short read drained the socket: watch again
            }
            return (int) n;
        }
        if (n == EOF) {
            learned(Readiness.READ_CLOSED);
            return -1;
        }
        // Would block; or no room, and then whatever is queued must be reported again.
        rearm(R, !dst.hasRemaining());
        return 0;
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        if (connecting(state) && stillConnecting()) {
            return 0;
        }
        if (inputShut) {
            return -1;
        }
        long total = 0;
        boolean eof = false;
        for (int i = offset; i < offset + length; i++) {
            ByteBuffer b = dsts[i];
            if (b.isReadOnly()) {
                throw new IllegalArgumentException("Read-only buffer");
            }
            if (!b.hasRemaining()) {
                continue;
            }
            long n = readRaw(b);
            if (n == EOF) {
                eof = true;
                break;
            }
            if (n == WOULD_BLOCK) {
                break;
            }
            total += n;
            if (b.hasRemaining()) {
                break; // short: nothing more queued
            }
        }
        if (eof && total == 0) {
            learned(Readiness.READ_CLOSED);
            return -1;
        }
        boolean room = anyRemaining(dsts, offset, length);
        if (total == 0 || room) {
            rearm(R, !room);
        }
        return total;
    }

    /**
     * recv with {@code MSG_PEEK} into {@code dst}: the bytes stay queued. Through the thread's
     * native memory and a copy (not a hot path). Like a read, a short result or would-block re-arms
     * reading: the next event comes with more data.
     */
    @Override
    public int peek(ByteBuffer dst) throws IOException {
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("Read-only buffer");
        }
        if (connecting(state) && stillConnecting()) {
            return 0;
        }
        if (inputShut) {
            fd.acquire(); // closed: ClosedChannelException, as a read
            fd.release();
            return -1;
        }
        int room = dst.remaining();
        if (room == 0) {
            rearm(R, true);
            return 0;
        }
        Scratch s = Scratch.get();
        long n;
        fd.acquire();
        try {
            MemorySegment into = s.bounce(room);
            n = Libc.recvFrom(s, fd.fd, into, room, Libc.MSG_PEEK);
            if (n > 0) {
                MemorySegment.copy(into, 0, MemorySegment.ofBuffer(dst), 0, n);
            }
        } finally {
            fd.release();
        }
        if (n > 0) {
            dst.position(dst.position() + (int) n);
            if (dst.hasRemaining()) {
                rearm(R);
            }
            return (int) n;
        }
        if (n == 0) {
            learned(Readiness.READ_CLOSED);
            return -1;
        }
        int err = s.errno();
        if (err == Libc.EAGAIN || err == Libc.EINTR) {
            rearm(R, err == Libc.EINTR);
            return 0;
        }
        throw failed(Errno.io(err));
    }

    // ---- writes ---------------------------------------------------------------------------------

    /** One write from {@code src}: a byte count or {@link #WOULD_BLOCK}; the position moves. */
    private long writeRaw(ByteBuffer src) throws IOException {
        int pos = src.position();
        Scratch s = Scratch.get();
        fd.acquire();
        long n;
        try {
            n = Transfer.write(s, fd.fd, src, socket);
        } catch (Throwable t) {
            throw Transfer.failure(t);
        } finally {
            fd.release();
        }
        if (n >= 0) {
            src.position(pos + (int) n);
            return n;
        }
        int err = s.errno();
        if (err == Libc.EINTR) {
            rearm(W, true); // a signal, not would-block: not retried here (see Transfer), so ask again
            return WOULD_BLOCK;
        }
        if (err == Libc.EAGAIN) {
            return WOULD_BLOCK;
        }
        throw failed(Errno.io(err));
    }

    private void checkWritable() throws ClosedChannelException {
        if (outputShut) {
            throw new ClosedChannelException();
        }
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        if (connecting(state) && stillConnecting()) {
            return 0;
        }
        checkWritable();
        if (!src.hasRemaining()) {
            fd.acquire();
            fd.release();
            rearm(W, true); // nothing to write, so nothing known: spurious events are allowed, lost ones are not
            return 0;
        }
        long n = writeRaw(src);
        if (n == WOULD_BLOCK) {
            rearm(W);
            return 0;
        }
        if (src.hasRemaining()) {
            rearm(W); // partial: the send buffer is full
        }
        return (int) n;
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        if (connecting(state) && stillConnecting()) {
            return 0;
        }
        checkWritable();
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            ByteBuffer b = srcs[i];
            if (!b.hasRemaining()) {
                continue;
            }
            long n = writeRaw(b);
            if (n == WOULD_BLOCK) {
                break;
            }
            total += n;
            if (b.hasRemaining()) {
                break; // partial: the send buffer is full
            }
        }
        boolean left = anyRemaining(srcs, offset, length);
        if (total == 0 || left) {
            rearm(W, !left);
        }
        return total;
    }

    private static boolean anyRemaining(ByteBuffer[] buffers, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            if (buffers[i].hasRemaining()) {
                return true;
            }
        }
        return false;
    }

    // ---- the rest -------------------------------------------------------------------------------

    @Override
    public void shutdown(Shutdown how) throws IOException {
        fd.acquire();
        try {
            if (connecting(state) && stillConnecting() || !hasPeer()) {
                throw new NotYetConnectedException();
            }
            if (how != Shutdown.WRITE) {
                shut(Libc.SHUT_RD);
                inputShut = true;
                learned(Readiness.READ_CLOSED);
            }
            if (how != Shutdown.READ) {
                shut(Libc.SHUT_WR);
                outputShut = true;
                learned(Readiness.WRITE_CLOSED);
            }
        } finally {
            fd.release();
        }
    }

    private void shut(int how) throws IOException {
        Scratch s = Scratch.get();
        if (Libc.shutdown(s, fd.fd, how) < 0 && s.errno() != Libc.ENOTCONN) {
            throw Errno.socket(s.errno());
        }
    }

    /** IP_TTL; on IPv6 the unicast hop limit, and IP_TTL too where the kernel takes it (IPv4-mapped peers). */
    @Override
    public int ttl() throws IOException {
        return family == Libc.AF_INET6 ? SocketOptions.getInt(fd, Libc.IPPROTO_IPV6, Libc.IPV6_UNICAST_HOPS)
                : SocketOptions.getInt(fd, Libc.IPPROTO_IP, Libc.IP_TTL);
    }

    @Override
    public void setTtl(int ttl) throws IOException {
        if (family == Libc.AF_INET6) {
            SocketOptions.setInt(fd, Libc.IPPROTO_IPV6, Libc.IPV6_UNICAST_HOPS, ttl);
            try {
                SocketOptions.setInt(fd, Libc.IPPROTO_IP, Libc.IP_TTL, ttl);
            } catch (IOException notDualStack) {
                // an IPv6-only socket: the hop limit is all there is
            }
        } else {
            SocketOptions.setInt(fd, Libc.IPPROTO_IP, Libc.IP_TTL, ttl);
        }
    }

    @Override
    public SocketAddress peerAddress() throws IOException {
        if (!fd.isOpen()) {
            throw new ClosedChannelException();
        }
        if (connecting(state) && stillConnecting()) {
            throw new NotYetConnectedException();
        }
        SocketAddress p = peer;
        if (p == null) {
            p = Sockets.peerAddress(fd);
            peer = p;
        }
        return p;
    }
}
