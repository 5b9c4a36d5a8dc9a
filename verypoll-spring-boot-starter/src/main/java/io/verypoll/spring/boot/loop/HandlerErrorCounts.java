package io.verypoll.spring.boot.loop;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Handler exceptions of a whole group, counted by exception type. A type is named by its simple
 * name (an anonymous class by its nearest named superclass): short enough for a meter tag, and the
 * log line of each error has the full name. The set of names is capped so that a handler throwing
 * many distinct types cannot blow up the number of meter tags; later types count as {@value #OTHER}.
 */
public final class HandlerErrorCounts {

    static final int MAX_TYPES = 32;
    static final String OTHER = "other";

    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<Consumer<String>> newTypeListeners = new CopyOnWriteArrayList<>();
    private final LongAdder total = new LongAdder();

    void record(Throwable error) {
        String type = typeName(error.getClass());
        LongAdder counter = counts.get(type);
        if (counter == null) {
            if (counts.size() >= MAX_TYPES) {
                type = OTHER;
            }
            String key = type;
            boolean[] created = new boolean[1];
            counter = counts.computeIfAbsent(key, k -> {
                created[0] = true;
                return new LongAdder();
            });
            if (created[0]) {
                newTypeListeners.forEach(listener -> listener.accept(key));
            }
        }
        counter.increment();
        total.increment();
    }

    /** The name errors of {@code type} are counted under (before the cap). */
    public static String typeName(Class<?> type) {
        Class<?> named = type;
        while (named.getSimpleName().isEmpty() && named.getSuperclass() != null) {
            named = named.getSuperclass();
        }
        return named.getSimpleName();
    }

    public long total() {
        return total.sum();
    }

    /** Errors counted under {@code exceptionType}: a {@link #typeName} or {@value #OTHER}. */
    public long count(String exceptionType) {
        LongAdder counter = counts.get(exceptionType);
        return counter == null ? 0 : counter.sum();
    }

    public long count(Class<? extends Throwable> exceptionType) {
        return count(typeName(exceptionType));
    }

    /** Calls {@code listener} for every exception type seen so far and for each new one later. */
    public void onType(Consumer<String> listener) {
        newTypeListeners.add(listener);
        counts.keySet().forEach(listener);
    }
}
