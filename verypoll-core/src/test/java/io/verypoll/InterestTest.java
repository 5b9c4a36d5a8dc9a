package io.verypoll;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** mio's interest.rs. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class InterestTest {

    @Test
    void isTests() {
        assertThat(Interest.READABLE.isReadable()).isTrue();
        assertThat(Interest.READABLE.isWritable()).isFalse();
        assertThat(Interest.WRITABLE.isReadable()).isFalse();
        assertThat(Interest.WRITABLE.isWritable()).isTrue();
    }

    @Test
    void add() {
        Interest both = Interest.READABLE.add(Interest.WRITABLE);
        assertThat(both.isReadable()).isTrue();
        assertThat(both.isWritable()).isTrue();
        assertThat(Interest.WRITABLE.add(Interest.READABLE)).isEqualTo(both).hasSameHashCodeAs(both);
        assertThat(Interest.READABLE.add(Interest.READABLE)).isEqualTo(Interest.READABLE);
    }

    @Test
    void immutable() {
        Interest.READABLE.add(Interest.WRITABLE);
        Interest.READABLE.remove(Interest.READABLE);
        assertThat(Interest.READABLE.isReadable()).isTrue();
        assertThat(Interest.READABLE.isWritable()).isFalse();
        assertThat(Interest.WRITABLE.isReadable()).isFalse();
    }

    @Test
    void remove() {
        Interest both = Interest.READABLE.add(Interest.WRITABLE);
        assertThat(both.remove(Interest.WRITABLE)).contains(Interest.READABLE);
        assertThat(both.remove(Interest.READABLE)).contains(Interest.WRITABLE);
        assertThat(both.remove(both)).isEmpty();
        assertThat(Interest.READABLE.remove(Interest.READABLE)).isEmpty();
        // Removing what is not there changes nothing.
        assertThat(Interest.READABLE.remove(Interest.WRITABLE)).contains(Interest.READABLE);
    }

    @Test
    void equalsByValue() {
        assertThat(Interest.READABLE).isNotEqualTo(Interest.WRITABLE);
        assertThat(Interest.READABLE.add(Interest.WRITABLE).remove(Interest.WRITABLE).orElseThrow())
                .isEqualTo(Interest.READABLE).hasSameHashCodeAs(Interest.READABLE);
    }

    @Test
    void toStringLikeMioDebug() {
        assertThat(Interest.READABLE).hasToString("READABLE");
        assertThat(Interest.WRITABLE).hasToString("WRITABLE");
        assertThat(Interest.READABLE.add(Interest.WRITABLE)).hasToString("READABLE | WRITABLE");
        assertThat(Interest.WRITABLE.add(Interest.READABLE)).hasToString("READABLE | WRITABLE");
    }
}
