package io.verypoll.pipe;

import io.verypoll.Interest;
import io.verypoll.Registry;
import io.verypoll.Source;
import io.verypoll.Token;
import io.verypoll.internal.ChannelState;
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
public final class Sender implements Source, WritableByteChannel {
    private final Pipe.SinkChannel channel;
    /** Held, not inherited: the internal half stays out of the public type's signature. */
    private final ChannelState state;

    Sender(Pipe.SinkChannel channel) throws IOException {
        channel.configureBlocking(false);
        this.channel = channel;
        this.state = new ChannelState(channel);
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

    @Override
    public void register(Registry registry, Token token, Interest interests) throws IOException {
        state.register(registry, token, interests);
    }

    @Override
    public void reregister(Registry registry, Token token, Interest interests) throws IOException {
        state.reregister(registry, token, interests);
    }

    @Override
    public void deregister(Registry registry) throws IOException {
        state.deregister(registry);
    }

    @Override
    public boolean isOpen() {
        return channel.isOpen();
    }

    /** Deregisters and closes; the descriptor is released at once, even while another thread polls. */
    @Override
    public void close() throws IOException {
        state.close();
    }
}
