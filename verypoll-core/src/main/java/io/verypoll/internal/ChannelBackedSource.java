package io.verypoll.internal;

import io.verypoll.Interest;
import io.verypoll.Registry;
import io.verypoll.Source;
import io.verypoll.Token;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.SelectableChannel;

/**
 * The shared half of every built-in source (mio's {@code IoSource}): registration through one
 * {@link ChannelState}, and a close that releases the descriptor promptly. Not API.
 */
public abstract class ChannelBackedSource implements Source, Closeable {
    protected final ChannelState state;

    protected ChannelBackedSource(SelectableChannel channel) {
        this.state = new ChannelState(channel);
    }

    @Override
    public final void register(Registry registry, Token token, Interest interests) throws IOException {
        state.register(registry, token, interests);
    }

    @Override
    public final void reregister(Registry registry, Token token, Interest interests) throws IOException {
        state.reregister(registry, token, interests);
    }

    @Override
    public final void deregister(Registry registry) throws IOException {
        state.deregister(registry);
    }

    public boolean isOpen() {
        return state.channel().isOpen();
    }

    /** Deregisters and closes; the descriptor is released at once, even while another thread polls. */
    @Override
    public void close() throws IOException {
        state.close();
    }
}
