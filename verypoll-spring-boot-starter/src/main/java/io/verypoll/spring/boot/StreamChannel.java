package io.verypoll.spring.boot;

import io.verypoll.Source;
import io.verypoll.net.Shutdown;
import io.verypoll.net.TcpStream;
import io.verypoll.net.UnixStream;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;

/** The operations a {@link Connection} needs, over a TCP or a Unix-domain stream. */
sealed interface StreamChannel permits StreamChannel.Tcp, StreamChannel.Unix {

    Source source();

    int read(ByteBuffer dst) throws IOException;

    int write(ByteBuffer src) throws IOException;

    void shutdownOutput() throws IOException;

    void close() throws IOException;

    SocketAddress remoteAddress();

    SocketAddress localAddress();

    IOException takeError();

    record Tcp(TcpStream stream) implements StreamChannel {
        public Source source() {
            return stream;
        }

        public int read(ByteBuffer dst) throws IOException {
            return stream.read(dst);
        }

        public int write(ByteBuffer src) throws IOException {
            return stream.write(src);
        }

        public void shutdownOutput() throws IOException {
            stream.shutdown(Shutdown.WRITE);
        }

        public void close() throws IOException {
            stream.close();
        }

        public SocketAddress remoteAddress() {
            try {
                return stream.peerAddress();
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }

        public SocketAddress localAddress() {
            try {
                return stream.localAddress();
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }

        public IOException takeError() {
            return stream.takeError();
        }
    }

    record Unix(UnixStream stream) implements StreamChannel {
        public Source source() {
            return stream;
        }

        public int read(ByteBuffer dst) throws IOException {
            return stream.read(dst);
        }

        public int write(ByteBuffer src) throws IOException {
            return stream.write(src);
        }

        public void shutdownOutput() throws IOException {
            stream.shutdown(Shutdown.WRITE);
        }

        public void close() throws IOException {
            stream.close();
        }

        public SocketAddress remoteAddress() {
            try {
                return stream.peerAddress();
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }

        public SocketAddress localAddress() {
            try {
                return stream.localAddress();
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }

        public IOException takeError() {
            return stream.takeError();
        }
    }
}
