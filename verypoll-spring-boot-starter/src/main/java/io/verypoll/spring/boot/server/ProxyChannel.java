package io.verypoll.spring.boot.server;

import io.verypoll.Source;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;

/**
 * The PROXY protocol on a connection's wire: the {@link ProxyHeader} is read first, below TLS (the
 * header precedes the ClientHello), and taken off the input; what follows it is handed on in the
 * same read. Until then the channel is not {@linkplain #isReady() ready}. The header's client becomes
 * the {@link #remoteAddress()}. While the header is incomplete its bytes wait in a small buffer of
 * the connection's own (at most {@link ProxyHeader#MAX_LENGTH} bytes), dropped once it is parsed.
 */
final class ProxyChannel implements StreamChannel {

    private final StreamChannel inner;
    private final ProxyProtocol accepted;
    /** The header's bytes received so far while incomplete; null otherwise. */
    private byte[] partial;
    private ProxyHeader header;

    ProxyChannel(StreamChannel inner, ProxyProtocol accepted) {
        this.inner = inner;
        this.accepted = accepted;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (header != null) {
            return inner.read(dst);
        }
        int start = dst.position();
        if (partial != null) {
            dst.put(partial);
            partial = null;
        }
        int n = inner.read(dst);
        int end = dst.position();
        if (end == start) {
            return n < 0 ? -1 : 0; // nothing yet; an end of stream before any byte is a plain close
        }
        ProxyHeader parsed = ProxyHeader.parse(dst, start, end, accepted);
        if (parsed == null) {
            if (n < 0) {
                throw LayerFailure.proxy("the connection ended inside its PROXY protocol header");
            }
            partial = new byte[end - start];
            dst.get(start, partial);
            dst.position(start);
            return 0;
        }
        header = parsed;
        // Move what followed the header to where the caller's bytes start (forward: no overlap harm).
        int rest = end - start - parsed.length();
        for (int i = 0; i < rest; i++) {
            dst.put(start + i, dst.get(start + parsed.length() + i));
        }
        dst.position(start + rest);
        return rest > 0 ? rest : (n < 0 ? -1 : 0);
    }

    @Override
    public boolean isReady() {
        return header != null;
    }

    @Override
    public CloseReason setupTimeoutReason() {
        return CloseReason.PROXY_PROTOCOL_TIMEOUT;
    }

    /** The client the header names; the socket's peer when it names none, or before it is read. */
    @Override
    public SocketAddress remoteAddress() {
        return header != null && header.source() != null ? header.source() : inner.remoteAddress();
    }

    /** The address the client connected to as the header says; the socket's otherwise. */
    @Override
    public SocketAddress localAddress() {
        return header != null && header.destination() != null ? header.destination() : inner.localAddress();
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return inner.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        return inner.write(srcs, offset, length);
    }

    @Override
    public long write(ByteBuffer[] srcs) throws IOException {
        return inner.write(srcs);
    }

    @Override
    public Source source() {
        return inner.source();
    }

    @Override
    public void shutdownOutput() throws IOException {
        inner.shutdownOutput();
    }

    @Override
    public IOException takeError() {
        return inner.takeError();
    }

    @Override
    public boolean isOpen() {
        return inner.isOpen();
    }

    @Override
    public void close() throws IOException {
        partial = null;
        inner.close();
    }

    @Override
    public void resetOnClose() throws IOException {
        inner.resetOnClose();
    }
}
