package io.verypoll;

import io.verypoll.internal.RegistryAccess;
import io.verypoll.spi.Poller;
import java.io.IOException;
import java.util.Objects;

/**
 * Registers sources with a {@link Poll}: thread-safe, and changes made from any thread take effect
 * in a poll already in progress.
 *
 * <pre>{@code
 * Registry registry = poll.registry();
 * registry.register(stream, new Token(1), Interest.READABLE);
 * registry.reregister(stream, new Token(1), Interest.READABLE.add(Interest.WRITABLE));
 * registry.deregister(stream); // its token never appears in a later poll
 * }</pre>
 *
 * <p>Each call forwards to the {@link Source} and passes its exceptions through. The built-in
 * sources throw {@link IllegalStateException} ("already registered", "not registered") on misuse,
 * {@link java.nio.channels.ClosedChannelException} when the source is closed and {@link
 * java.nio.channels.ClosedSelectorException} when the poll is closed.
 */
public final class Registry {
    static {
        RegistryAccess.install(registry -> registry.selector);
    }

    private final Poller selector;

    Registry(Poller selector) {
        this.selector = selector;
    }

    /** Starts watching {@code source} for {@code interests}; its events carry {@code token}. */
    public void register(Source source, Token token, Interest interests) throws IOException {
        check(source, token, interests).register(this, token, interests);
    }

    /** Replaces the token and interests of a registered source, and re-arms every interest. */
    public void reregister(Source source, Token token, Interest interests) throws IOException {
        check(source, token, interests).reregister(this, token, interests);
    }

    /** Stops watching {@code source}. */
    public void deregister(Source source) throws IOException {
        Objects.requireNonNull(source, "source");
        selector.ensureOpen();
        source.deregister(this);
    }

    /** Another handle to the same poll, for another thread or component. */
    public Registry tryClone() throws IOException {
        selector.ensureOpen();
        return new Registry(selector);
    }

    private Source check(Source source, Token token, Interest interests) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(interests, "interests");
        selector.ensureOpen();
        return source;
    }
}
