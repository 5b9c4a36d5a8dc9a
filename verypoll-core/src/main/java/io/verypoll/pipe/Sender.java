package io.verypoll.pipe;

import io.verypoll.Interest;
import io.verypoll.Registry;
import io.verypoll.Source;
import io.verypoll.Token;
import io.verypoll.internal.RegistryAccess;
import io.verypoll.spi.IoSource;
import java.io.IOException;
import java.nio.ByteBuffer;
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
    /** Held, not inherited: the backend's half stays out of the public type's signature. */
    private final IoSource io;

    Sender(IoSource io) {
        this.io = io;
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
        return io.write(src);
    }

    @Override
    public void register(Registry registry, Token token, Interest interests) throws IOException {
        io.register(RegistryAccess.pollerOf(registry), token, interests);
    }

    @Override
    public void reregister(Registry registry, Token token, Interest interests) throws IOException {
        io.reregister(RegistryAccess.pollerOf(registry), token, interests);
    }

    @Override
    public void deregister(Registry registry) throws IOException {
        io.deregister(RegistryAccess.pollerOf(registry));
    }

    @Override
    public boolean isOpen() {
        return io.isOpen();
    }

    /** Deregisters and closes; the descriptor is released at once, even while another thread polls. */
    @Override
    public void close() throws IOException {
        io.close();
    }
}
