package io.verypoll.spring.boot.server;

import io.verypoll.Source;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;

/**
 * The channel of an outbound connection whose connect failed: no socket (none was made, or it is
 * closed), only the address it was for, so the handler told of the failure sees where it went.
 */
record UnconnectedChannel(SocketAddress target) implements StreamChannel {

    @Override
    public Source source() {
        throw new IllegalStateException("not connected");
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        throw new ClosedChannelException();
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        throw new ClosedChannelException();
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        throw new ClosedChannelException();
    }

    @Override
    public long write(ByteBuffer[] srcs) throws IOException {
        throw new ClosedChannelException();
    }

    @Override
    public boolean isOpen() {
        return false;
    }

    @Override
    public void shutdownOutput() throws IOException {
        throw new ClosedChannelException();
    }

    @Override
    public void close() {
    }

    @Override
    public void resetOnClose() {
        // No socket: nothing to reset.
    }

    @Override
    public SocketAddress remoteAddress() {
        return target;
    }

    @Override
    public SocketAddress localAddress() {
        return null;
    }

    @Override
    public IOException takeError() {
        return null;
    }
}
