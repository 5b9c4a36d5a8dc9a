package io.verypoll.spring.boot.server;

import io.verypoll.Source;
import io.verypoll.net.Shutdown;
import io.verypoll.net.SocketStream;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;

/** The operations a {@link Connection} needs, over a TCP or a Unix-domain stream. */
record StreamChannel(SocketStream stream) {

    Source source() {
        return stream;
    }

    int read(ByteBuffer dst) throws IOException {
        return stream.read(dst);
    }

    int write(ByteBuffer src) throws IOException {
        return stream.write(src);
    }

    void shutdownOutput() throws IOException {
        stream.shutdown(Shutdown.WRITE);
    }

    void close() throws IOException {
        stream.close();
    }

    /** The peer's address, or null once the stream can no longer tell (for logs and the endpoint). */
    SocketAddress remoteAddress() {
        try {
            return stream.peerAddress();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The local address, or null once the stream can no longer tell. */
    SocketAddress localAddress() {
        try {
            return stream.localAddress();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    IOException takeError() {
        return stream.takeError();
    }
}
