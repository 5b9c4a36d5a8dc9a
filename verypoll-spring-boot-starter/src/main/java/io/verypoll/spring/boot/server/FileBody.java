package io.verypoll.spring.boot.server;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Objects;

/**
 * A region of a file as a body: positional reads into one direct buffer (no copy on the way to the
 * socket), refilled as the socket takes each chunk. Not {@code transferTo}: that would write to the
 * socket around the loop's readiness bookkeeping.
 */
final class FileBody implements BodySource {

    private static final int CHUNK = 64 * 1024;

    private final FileChannel file;
    private final long end;
    private long position;
    private ByteBuffer buffer;

    FileBody(FileChannel file, long position, long count) throws IOException {
        this.file = Objects.requireNonNull(file, "file");
        if (position < 0 || count < 0) {
            file.close();
            throw new IllegalArgumentException("position and count must not be negative: " + position + ", " + count);
        }
        this.position = position;
        this.end = position + count;
    }

    @Override
    public ByteBuffer next() throws IOException {
        if (position >= end) {
            return null;
        }
        if (buffer == null) {
            buffer = ByteBuffer.allocateDirect((int) Math.min(CHUNK, end - position));
        }
        buffer.clear().limit((int) Math.min(buffer.capacity(), end - position));
        while (buffer.hasRemaining()) {
            int n = file.read(buffer, position);
            if (n < 0) {
                if (buffer.position() > 0) {
                    break; // send what was read; the next call reports the short file
                }
                throw new EOFException("the file ended at byte " + position + ", before " + end);
            }
            position += n;
        }
        return buffer.flip();
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
