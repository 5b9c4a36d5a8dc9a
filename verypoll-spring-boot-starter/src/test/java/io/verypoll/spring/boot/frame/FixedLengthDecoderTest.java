package io.verypoll.spring.boot.frame;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.verypoll.spring.boot.frame.LineDecoderTest.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Fixed lengths: frames of exactly N; the length is the limit, so only a caller's lower limit refuses them. */
@Timeout(30)
class FixedLengthDecoderTest {

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {false, true})
    void framesOfExactlyTheLengthAndTheRestWaits(boolean direct) {
        DecodingCaller caller = new DecodingCaller(FrameDecoders.fixedLength(3), 3, 0, direct);
        caller.feed(bytes("abcdefgh"));
        assertThat(caller.frames()).containsExactly(bytes("abc"), bytes("def"));
        assertThat(caller.waiting()).isEqualTo(2);
    }

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {false, true})
    void aCallerLimitOfTheLengthPassesAndOneLessFails(boolean direct) {
        DecodingCaller atLimit = new DecodingCaller(FrameDecoders.fixedLength(4), 4, 0, direct);
        atLimit.feed(bytes("abcd"));
        assertThat(atLimit.frames()).containsExactly(bytes("abcd"));
        DecodingCaller below = new DecodingCaller(FrameDecoders.fixedLength(4), 3, 0, direct);
        assertThatThrownBy(() -> below.feed(bytes("abcd"))).isInstanceOfSatisfying(FrameTooLongException.class,
                e -> assertThat(e.length()).isEqualTo(4));
    }

    @Test
    void theLengthIsAlwaysAnnounced() {
        assertThat(FrameDecoders.fixedLength(48).expectedLength(java.nio.ByteBuffer.wrap(bytes("ab")))).isEqualTo(48);
    }

    @Test
    void theLengthIsAtLeastOne() {
        assertThatThrownBy(() -> FrameDecoders.fixedLength(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(FrameDecoders.fixedLength(1).frameLength()).isEqualTo(1);
    }
}
