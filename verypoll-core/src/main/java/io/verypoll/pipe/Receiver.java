package io.verypoll.pipe;

import io.verypoll.internal.ChannelBackedSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.ReadableByteChannel;
import java.util.Objects;

/**
 * The reading end of a {@link io.verypoll.pipe.Pipe}; register it for READABLE.
 *
 * <pre>{@code
 * int n = pipe.receiver().read(buffer);  // 0: empty, wait for readable; -1: the sender is closed
 * }</pre>
 */
public final class Receiver extends ChannelBackedSource implements ReadableByteChannel {
    private final Pipe.SourceChannel channel;

    Receiver(Pipe.SourceChannel channel) throws IOException {
        super(channel);
        channel.configureBlocking(false);
        this.channel = channel;
    }

    /**
     * Reads what the pipe holds; a result of 0 (a full {@code dst} included) or one that leaves
     * room in {@code dst} re-arms reading.
     *
     * @return bytes read; 0 if it would block; -1 once the sender is closed and the pipe drained
     */
    @Override
    public int read(ByteBuffer dst) throws IOException {
        Objects.requireNonNull(dst, "dst");
        try {
            return (int) state.afterRead(channel.read(dst), dst.hasRemaining());
        } catch (IOException e) {
            throw state.failed(e);
        }
    }
}
