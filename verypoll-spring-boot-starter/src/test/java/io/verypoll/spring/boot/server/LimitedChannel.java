package io.verypoll.spring.boot.server;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/** A channel that takes at most {@code maxPerWrite} bytes per write (0: it would block). */
final class LimitedChannel implements WritableByteChannel {
    final ByteArrayOutputStream taken = new ByteArrayOutputStream();
    int maxPerWrite;
    int writes;

    LimitedChannel(int maxPerWrite) {
        this.maxPerWrite = maxPerWrite;
    }

    @Override
    public int write(ByteBuffer src) {
        writes++;
        int n = Math.min(maxPerWrite, src.remaining());
        byte[] bytes = new byte[n];
        src.get(bytes);
        taken.write(bytes, 0, n);
        return n;
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public void close() {
    }
}
