package io.verypoll.spring.boot.loop;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Exception types become short, bounded tag values. */
class HandlerErrorCountsTest {

    private final HandlerErrorCounts counts = new HandlerErrorCounts();

    @Test
    void typesAreCountedBySimpleName() {
        counts.record(new IllegalStateException());
        counts.record(new IllegalStateException());
        counts.record(new java.io.UncheckedIOException(new java.io.IOException()));
        assertThat(counts.count("IllegalStateException")).isEqualTo(2);
        assertThat(counts.count(java.io.UncheckedIOException.class)).isEqualTo(1);
        assertThat(counts.total()).isEqualTo(3);
    }

    @Test
    void anAnonymousExceptionIsNamedByItsNearestNamedSuperclass() {
        RuntimeException anonymous = new IllegalArgumentException("bad") {
        };
        assertThat(anonymous.getClass().getSimpleName()).as("the premise").isEmpty();
        counts.record(anonymous);
        assertThat(counts.count("IllegalArgumentException")).isEqualTo(1);
    }

    @Test
    void typesBeyondTheCapCountAsOther() {
        List<String> announced = new ArrayList<>();
        counts.onType(announced::add);
        assertThat(DISTINCT).hasSizeGreaterThan(HandlerErrorCounts.MAX_TYPES);
        DISTINCT.forEach(counts::record);
        int beyond = DISTINCT.size() - HandlerErrorCounts.MAX_TYPES;
        assertThat(announced).hasSize(HandlerErrorCounts.MAX_TYPES + 1).endsWith(HandlerErrorCounts.OTHER);
        assertThat(counts.count(HandlerErrorCounts.OTHER)).isEqualTo(beyond);
        assertThat(counts.total()).isEqualTo(DISTINCT.size());
    }

    /** Exceptions of distinct simple names, more than the cap. */
    private static final List<Throwable> DISTINCT = List.of(new ArithmeticException(), new ArrayStoreException(),
            new ClassCastException(), new IllegalArgumentException(), new IllegalMonitorStateException(),
            new IllegalStateException(), new IndexOutOfBoundsException(), new NegativeArraySizeException(),
            new NullPointerException(), new SecurityException(), new UnsupportedOperationException(),
            new CloneNotSupportedException(), new InterruptedException(), new ReflectiveOperationException(),
            new ClassNotFoundException(), new InstantiationException(), new IllegalAccessException(),
            new NoSuchFieldException(), new NoSuchMethodException(), new ArrayIndexOutOfBoundsException(),
            new StringIndexOutOfBoundsException(), new NumberFormatException(), new IllegalCallerException(),
            new java.util.NoSuchElementException(), new java.util.ConcurrentModificationException(),
            new java.util.EmptyStackException(), new java.io.IOException(), new java.io.EOFException(),
            new java.io.FileNotFoundException(), new java.net.SocketException(), new java.net.ConnectException(),
            new java.net.SocketTimeoutException(), new java.nio.BufferOverflowException(),
            new java.nio.BufferUnderflowException(), new java.util.concurrent.TimeoutException(),
            new java.util.concurrent.CancellationException());
}
