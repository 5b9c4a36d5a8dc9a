package io.verypoll.spring.boot.frame;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;

import static io.verypoll.spring.boot.frame.LineDecoderTest.assertTooLong;
import static io.verypoll.spring.boot.frame.LineDecoderTest.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Delimiters: first occurrence wins, partial and overlapping delimiters, the content limit stripped and kept. */
@Timeout(30)
class DelimiterDecoderTest {

    private static final int N = 16;

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {false, true})
    void aFrameEndsAtTheDelimitersFirstOccurrence(boolean direct) {
        DecodingCaller aab = new DecodingCaller(FrameDecoders.delimitedBy("aab", N), N, 3, direct);
        aab.feed(bytes("aaab" + "aax" + "aab" + "aab"));
        assertThat(aab.frames()).containsExactly(bytes("a"), bytes("aax"), bytes(""));

        DecodingCaller abab = new DecodingCaller(FrameDecoders.delimitedBy("abab", N), N, 4, direct);
        abab.feed(bytes("abab" + "abaabab" + "ababab"));
        assertThat(abab.frames()).containsExactly(bytes(""), bytes("aba"), bytes(""));
        assertThat(abab.waiting()).as("the overlapping tail 'ab'").isEqualTo(2);
    }

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {false, true})
    void aPartialDelimiterAtTheEndWaitsAndAFalseStartIsContent(boolean direct) {
        DecodingCaller caller = new DecodingCaller(FrameDecoders.delimitedBy("\r\n\r\n", N), N, 4, direct);
        caller.feed(bytes("GET\r\n\r"));
        assertThat(caller.frames()).isEmpty();
        caller.feed(bytes("x\r\n\r\n"));
        assertThat(caller.frames()).containsExactly(bytes("GET\r\n\rx"));
    }

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {false, true})
    void aKeptDelimiterEndsTheContentAndCountsTowardsTheLimit(boolean direct) {
        DelimiterDecoder keeping = FrameDecoders.delimitedBy("||", N).keepingDelimiter();
        DecodingCaller caller = new DecodingCaller(keeping, N, 0, direct);
        caller.feed(bytes("a||" + "b".repeat(N - 2) + "||"));
        assertThat(caller.frames()).containsExactly(bytes("a||"), bytes("b".repeat(N - 2) + "||"));

        assertTooLong(() -> DecodingCaller.withoutNet(keeping, direct).feed(bytes("b".repeat(N - 1) + "||")), N + 1);
        DecodingCaller trickle = DecodingCaller.withoutNet(keeping, direct);
        trickle.feed(bytes("b".repeat(N - 2) + "|"));
        assertTooLong(() -> trickle.feed(bytes("x")), N + 1); // N - 1 bytes that cannot start the delimiter, and then it
    }

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {false, true})
    void contentOfExactlyTheLimitPassesAndOneMoreFails(boolean direct) {
        for (String delimiter : new String[] {"|", "\r\n\r\n"}) {
            DecodingCaller caller = new DecodingCaller(FrameDecoders.delimitedBy(delimiter, N), N, delimiter.length(), direct);
            caller.feed(bytes("a".repeat(N) + delimiter));
            assertThat(caller.frames()).containsExactly(bytes("a".repeat(N)));
            assertTooLong(() -> DecodingCaller.withoutNet(FrameDecoders.delimitedBy(delimiter, N), direct)
                    .feed(bytes("a".repeat(N + 1) + delimiter)), N + 1);
        }
    }

    @Test
    void tooLongIsKnownBeforeTheDelimiterArrives() {
        DecodingCaller single = DecodingCaller.withoutNet(FrameDecoders.delimitedBy("|", N), false);
        single.feed(bytes("a".repeat(N)));
        assertTooLong(() -> single.feed(bytes("a")), N + 1);

        // With 4 bytes of delimiter, the last 3 seen may still begin it: N content bytes and a
        // partial delimiter wait; once N + 1 bytes cannot be part of it, the frame fails.
        DecodingCaller longer = DecodingCaller.withoutNet(FrameDecoders.delimitedBy("\r\n\r\n", N), false);
        longer.feed(bytes("a".repeat(N) + "\r\n\r"));
        assertThat(longer.waiting()).isEqualTo(N + 3);
        assertTooLong(() -> longer.feed(bytes("a")), N + 1);
    }

    @Test
    void aCallScansNoFurtherThanALegalFrameCanReach() {
        byte[] bytes = new byte[1 << 20];
        bytes[bytes.length - 1] = '|';
        assertThatThrownBy(() -> FrameDecoders.delimitedBy("|", N).decode(ByteBuffer.wrap(bytes)))
                .isInstanceOfSatisfying(FrameTooLongException.class, e -> assertThat(e.length()).isEqualTo(N + 1));
    }

    @Test
    void theDelimiterIsCopiedAndStringsAreUtf8() {
        byte[] delimiter = bytes("|");
        DelimiterDecoder decoder = FrameDecoders.delimitedBy(delimiter, N);
        delimiter[0] = 'x';
        assertThat(decoder.delimiter()).isEqualTo(bytes("|"));
        assertThat(FrameDecoders.delimitedBy("\u00e9", N).delimiter()).containsExactly(0xC3 - 256, 0xA9 - 256);
    }

    @Test
    void settingsThatCanFrameNothingAreRefused() {
        assertThatThrownBy(() -> FrameDecoders.delimitedBy(new byte[0], N)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FrameDecoders.delimitedBy("|", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FrameDecoders.delimitedBy("abc", 2).keepingDelimiter())
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(FrameDecoders.delimitedBy("abc", 3).keepingDelimiter().keepsDelimiter()).isTrue();
    }
}
