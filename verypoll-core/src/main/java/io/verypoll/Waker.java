package io.verypoll;

import io.verypoll.internal.RegistryAccess;
import io.verypoll.spi.Poller;
import java.io.IOException;
import java.util.Objects;

/**
 * Wakes a {@link Poll} from another thread: the poll returns a readable event with this waker's
 * token. Several wakes before the poll sees them give one event. Thread-safe; an atomic flag,
 * and a wake-up of the selector only when the flag goes up and the caller is not the polling
 * thread. On NIO it uses no file descriptor; on epoll the wakers of a poll share one eventfd. A
 * poll may have several wakers.
 *
 * <pre>{@code
 * Token wakeToken = new Token(99);
 * Waker waker = new Waker(poll.registry(), wakeToken);
 * new Thread(() -> { queue.add(task); wakeQuietly(waker); }).start();
 * poll.poll(events, null);   // returns with Event { token: Token(99), readable: true, ... }
 * }</pre>
 */
public final class Waker {
    private final Poller selector;
    private final int waker;

    public Waker(Registry registry, Token token) throws IOException {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(token, "token");
        this.selector = RegistryAccess.pollerOf(registry);
        this.waker = selector.addWaker(token);
    }

    /**
     * Wakes the poll, or makes its next poll return at once.
     *
     * @throws java.nio.channels.ClosedSelectorException if the poll is closed
     */
    public void wake() throws IOException {
        selector.wake(waker);
    }
}
