package io.verypoll;

import io.verypoll.spi.Readiness;
import io.verypoll.spi.ReadyList;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A reusable, fixed-capacity collection of events filled by {@link Poll#poll}. Allocate one per
 * event loop and reuse it: polling into it allocates nothing. A poll returns at most {@link
 * #capacity()} events. Readiness that does not fit is kept and returned by later polls, oldest
 * first, before anything found after it: with more ready sources (and wakers) than capacity, each
 * still gets its turn.
 *
 * <pre>{@code
 * Events events = Events.withCapacity(1024);
 * while (running) {
 *     poll.poll(events, null);
 *     for (Event event : events) {
 *         handle(event);
 *     }
 * }
 * }</pre>
 */
public final class Events implements Iterable<Event> {
    final ReadyList ready;
    private final View[] views;

    private Events(int capacity) {
        ready = new ReadyList(capacity);
        views = new View[capacity];
        for (int i = 0; i < capacity; i++) {
            views[i] = new View(ready, i);
        }
    }

    /** @throws IllegalArgumentException if {@code capacity < 1} */
    public static Events withCapacity(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("events capacity must be at least 1, was " + capacity);
        }
        return new Events(capacity);
    }

    public int capacity() {
        return ready.capacity();
    }

    public int size() {
        return ready.size();
    }

    public boolean isEmpty() {
        return ready.size() == 0;
    }

    /** @return the event at {@code index}, valid until the next poll or {@link #clear()} */
    public Event get(int index) {
        Objects.checkIndex(index, ready.size());
        return views[index];
    }

    public void clear() {
        ready.clear();
    }

    @Override
    public Iterator<Event> iterator() {
        return new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < ready.size();
            }

            @Override
            public Event next() {
                if (next >= ready.size()) {
                    throw new NoSuchElementException();
                }
                return views[next++];
            }
        };
    }

    /** Visits every event without creating an iterator. */
    @Override
    public void forEach(Consumer<? super Event> action) {
        Objects.requireNonNull(action, "action");
        for (int i = 0, n = ready.size(); i < n; i++) {
            action.accept(views[i]);
        }
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Events [");
        for (int i = 0; i < ready.size(); i++) {
            s.append(i == 0 ? "" : ", ").append(views[i]);
        }
        return s.append(']').toString();
    }

    /** One slot of the arrays, seen as an {@link Event}. */
    private static final class View implements Event {
        private final ReadyList ready;
        private final int index;

        View(ReadyList ready, int index) {
            this.ready = ready;
            this.index = index;
        }

        private boolean has(int bit) {
            return (ready.readiness(index) & bit) != 0;
        }

        @Override
        public Token token() {
            return ready.token(index);
        }

        @Override
        public boolean isReadable() {
            return has(Readiness.READABLE);
        }

        @Override
        public boolean isWritable() {
            return has(Readiness.WRITABLE);
        }

        @Override
        public boolean isError() {
            return has(Readiness.ERROR);
        }

        @Override
        public boolean isReadClosed() {
            return has(Readiness.READ_CLOSED);
        }

        @Override
        public boolean isWriteClosed() {
            return has(Readiness.WRITE_CLOSED);
        }

        @Override
        public boolean isPriority() {
            return false;
        }

        @Override
        public String toString() {
            return "Event { token: " + token() + ", readable: " + isReadable() + ", writable: " + isWritable()
                    + ", error: " + isError() + ", read_closed: " + isReadClosed() + ", write_closed: "
                    + isWriteClosed() + ", priority: false }";
        }
    }
}
