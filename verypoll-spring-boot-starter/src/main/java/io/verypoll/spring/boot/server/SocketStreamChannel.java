package io.verypoll.spring.boot.server;

import io.verypoll.Source;
import io.verypoll.net.Shutdown;
import io.verypoll.net.SocketStream;
import io.verypoll.net.TcpStream;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;

/** A {@link StreamChannel} straight on a TCP or Unix-domain socket. */
record SocketStreamChannel(SocketStream stream) implements StreamChannel {

    // Loads the enum with this class: first loaded at the first close, at EMFILE that load fails
    // from a directory class path, and the failure sticks to the call site (every later half-close).
    private static final Shutdown WRITE = Shutdown.WRITE;

    @Override
    public Source source() {
        return stream;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return stream.read(dst);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return stream.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        return stream.write(srcs, offset, length);
    }

    @Override
    public long write(ByteBuffer[] srcs) throws IOException {
        return stream.write(srcs);
    }

    @Override
    public boolean isOpen() {
        return stream.isOpen();
    }

    @Override
    public void shutdownOutput() throws IOException {
        stream.shutdown(WRITE);
    }

    @Override
    public void close() throws IOException {
        stream.close();
    }

    @Override
    public void resetOnClose() throws IOException {
        if (stream instanceof TcpStream tcp) {
            tcp.setLinger(Duration.ZERO);
        }
    }

    @Override
    public SocketAddress remoteAddress() {
        try {
            return stream.peerAddress();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    @Override
    public SocketAddress localAddress() {
        try {
            return stream.localAddress();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    @Override
    public IOException takeError() {
        return stream.takeError();
    }
}
