package io.verypoll.pipe;

import io.verypoll.internal.ChannelBackedSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.WritableByteChannel;
import java.util.Objects;

/**
 * The writing end of a {@link io.verypoll.pipe.Pipe}; register it for WRITABLE.
 *
 * <pre>{@code
 * int n = pipe.sender().write(buffer);  // 0: the pipe is full, wait for writable
 * }</pre>
 */
public final class Sender extends ChannelBackedSource implements WritableByteChannel {
    private final Pipe.SinkChannel channel;

    Sender(Pipe.SinkChannel channel) throws IOException {
        super(channel);
        channel.configureBlocking(false);
        this.channel = channel;
    }

    /**
     * Writes what the pipe takes; a result of 0 (an empty {@code src} included) or data left over
     * re-arms writing.
     *
     * @return bytes written; 0 if it would block
     */
    @Override
    public int write(ByteBuffer src) throws IOException {
        Objects.requireNonNull(src, "src");
        try {
            return (int) state.afterWrite(channel.write(src), src.hasRemaining());
        } catch (IOException e) {
            throw state.failed(e);
        }
    }
}
