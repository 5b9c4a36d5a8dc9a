package io.verypoll.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The abstract-namespace address: by value, bounded, printed as ss prints it. */
class UnixAbstractAddressTest {

    @Test
    void comparedByItsBytes() {
        assertThat(UnixAbstractAddress.of("name")).isEqualTo(UnixAbstractAddress.of("name".getBytes(StandardCharsets.UTF_8)))
                .hasSameHashCodeAs(UnixAbstractAddress.of("name")).isNotEqualTo(UnixAbstractAddress.of("name2"));
        byte[] bytes = {1, 0, 2};
        UnixAbstractAddress a = UnixAbstractAddress.of(bytes);
        bytes[0] = 9;
        assertThat(a.name()).as("a copy is kept").containsExactly(1, 0, 2);
        a.name()[0] = 9;
        assertThat(a.name()).as("a copy is given").containsExactly(1, 0, 2);
    }

    @Test
    void boundedAsSunPath() {
        assertThatThrownBy(() -> UnixAbstractAddress.of("")).isInstanceOf(IllegalArgumentException.class);
        assertThat(UnixAbstractAddress.of("x".repeat(UnixAbstractAddress.MAX_NAME_LENGTH)).name()).hasSize(107);
        assertThatThrownBy(() -> UnixAbstractAddress.of("x".repeat(108))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1 to 107 bytes");
    }

    @Test
    void printedWithAnAt() {
        assertThat(UnixAbstractAddress.of("demo")).hasToString("@demo");
        assertThat(UnixAbstractAddress.of(new byte[] {0, (byte) 0xff})).hasToString("@0x00ff");
    }
}
