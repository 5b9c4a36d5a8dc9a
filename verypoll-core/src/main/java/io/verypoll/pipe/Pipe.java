package io.verypoll.pipe;

import java.io.IOException;

/**
 * A one-way, non-blocking pipe: mio's {@code unix::pipe::new}, on {@link java.nio.channels.Pipe}.
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
        java.nio.channels.Pipe pipe = java.nio.channels.Pipe.open();
        try {
            return new Pipe(new Sender(pipe.sink()), new Receiver(pipe.source()));
        } catch (IOException | RuntimeException e) {
            pipe.sink().close();
            pipe.source().close();
            throw e;
        }
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
