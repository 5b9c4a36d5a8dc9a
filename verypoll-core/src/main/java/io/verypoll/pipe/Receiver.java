package io.verypoll.pipe;

import io.verypoll.Interest;
import io.verypoll.Registry;
import io.verypoll.Source;
import io.verypoll.Token;
import io.verypoll.internal.RegistryAccess;
import io.verypoll.spi.IoSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.Objects;

/**
 * The reading end of a {@link io.verypoll.pipe.Pipe}; register it for READABLE.
 *
 * <pre>{@code
 * int n = pipe.receiver().read(buffer);  // 0: empty, wait for readable; -1: the sender is closed
 * }</pre>
 */
public final class Receiver implements Source, ReadableByteChannel {
    /** Held, not inherited: the backend's half stays out of the public type's signature. */
    private final IoSource io;

    Receiver(IoSource io) {
        this.io = io;
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
        return io.read(dst);
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
