package io.verypoll.pipe;

import io.verypoll.internal.SelectedBackend;
import io.verypoll.spi.IoSource;
import java.io.IOException;

/**
 * A one-way, non-blocking pipe: mio's {@code unix::pipe::new}; on NIO a {@link java.nio.channels.Pipe},
 * on epoll {@code pipe2(2)}.
 *
 * <pre>{@code
 * Pipe pipe = Pipe.open();
 * poll.registry().register(pipe.receiver(), RX, Interest.READABLE);
 * pipe.sender().write(ByteBuffer.wrap(new byte[] {1}));  // RX becomes readable
 * }</pre>
 */
public final class Pipe {
    private final Sender sender;
    private final Receiver receiver;

    private Pipe(Sender sender, Receiver receiver) {
        this.sender = sender;
        this.receiver = receiver;
    }

    public static Pipe open() throws IOException {
        IoSource[] ends = SelectedBackend.get().pipe();
        return new Pipe(new Sender(ends[1]), new Receiver(ends[0]));
    }

    /** The writing end. */
    public Sender sender() {
        return sender;
    }

    /** The reading end. */
    public Receiver receiver() {
        return receiver;
    }
}
