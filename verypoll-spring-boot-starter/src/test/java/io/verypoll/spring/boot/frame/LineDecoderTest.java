package io.verypoll.spring.boot.frame;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Lines: terminators, CRs, and the content limit (stripped and kept) whole and as bytes trickle in. */
@Timeout(30)
class LineDecoderTest {

    private static final int N = 16;

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {false, true})
    void theTerminatorIsLfOrCrLfAndOnlyACrRightBeforeTheLfBelongsToIt(boolean direct) {
        DecodingCaller caller = new DecodingCaller(FrameDecoders.lines(N), N, 2, direct);
        caller.feed(bytes("a\nb\r\n\n\r\n\r\r\na\rb\n\rc\n"));
        assertThat(caller.frames()).containsExactly(bytes("a"), bytes("b"), bytes(""), bytes(""), bytes("\r"),
                bytes("a\rb"), bytes("\rc"));
        assertThat(caller.waiting()).isZero();
    }

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {false, true})
    void keptTerminatorsStayAsTheyCame(boolean direct) {
        DecodingCaller caller = new DecodingCaller(FrameDecoders.lines(N).keepingTerminator(), N, 0, direct);
        caller.feed(bytes("a\nb\r\n\n\r\n"));
        assertThat(caller.frames()).containsExactly(bytes("a\n"), bytes("b\r\n"), bytes("\n"), bytes("\r\n"));
    }

    @Test
    void anEmptyLineRightAfterACrBeforeThePositionIsEmpty() {
        ByteBuffer in = ByteBuffer.wrap(bytes("\r\nx")).position(1);
        assertThat(FrameDecoders.lines(N).decode(in)).isEqualTo(1);
        assertThat(in.position()).isEqualTo(1);
        assertThat(in.limit()).isEqualTo(1);
    }

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {false, true})
    void contentOfExactlyTheLimitPassesWithEitherTerminator(boolean direct) {
        DecodingCaller caller = new DecodingCaller(FrameDecoders.lines(N), N, 2, direct);
        caller.feed(bytes("a".repeat(N) + "\n" + "b".repeat(N) + "\r\n"));
        assertThat(caller.frames()).containsExactly(bytes("a".repeat(N)), bytes("b".repeat(N)));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"\n", "\r\n"})
    void contentOfOneMoreFailsWholeOrTrickling(String terminator) {
        byte[] line = bytes("a".repeat(N + 1) + terminator);
        for (boolean direct : new boolean[] {false, true}) {
            assertTooLong(() -> DecodingCaller.withoutNet(FrameDecoders.lines(N), direct).feed(line), N + 1);
            DecodingCaller trickle = DecodingCaller.withoutNet(FrameDecoders.lines(N), direct);
            for (int i = 0; i < N; i++) {
                trickle.feed(new byte[] {'a'});
            }
            // The limit is known to be broken at the (N+1)th content byte, before any terminator.
            assertTooLong(() -> trickle.feed(new byte[] {'a'}), N + 1);
        }
    }

    @Test
    void aCrAtTheLimitWaitsForWhatFollowsIt() {
        DecodingCaller caller = DecodingCaller.withoutNet(FrameDecoders.lines(N), false);
        caller.feed(bytes("a".repeat(N) + "\r"));
        assertThat(caller.waiting()).isEqualTo(N + 1);
        caller.feed(bytes("\n"));
        assertThat(caller.frames()).containsExactly(bytes("a".repeat(N)));

        DecodingCaller notATerminator = DecodingCaller.withoutNet(FrameDecoders.lines(N), false);
        notATerminator.feed(bytes("a".repeat(N) + "\r"));
        assertTooLong(() -> notATerminator.feed(bytes("x")), N + 2);
    }

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {false, true})
    void aKeptTerminatorCountsTowardsTheLimit(boolean direct) {
        LineDecoder keeping = FrameDecoders.lines(N).keepingTerminator();
        DecodingCaller caller = new DecodingCaller(keeping, N, 0, direct);
        caller.feed(bytes("a".repeat(N - 1) + "\n" + "b".repeat(N - 2) + "\r\n"));
        assertThat(caller.frames()).containsExactly(bytes("a".repeat(N - 1) + "\n"), bytes("b".repeat(N - 2) + "\r\n"));

        assertTooLong(() -> DecodingCaller.withoutNet(keeping, direct).feed(bytes("a".repeat(N) + "\n")), N + 1);
        assertTooLong(() -> DecodingCaller.withoutNet(keeping, direct).feed(bytes("a".repeat(N - 1) + "\r\n")), N + 1);
        DecodingCaller trickle = DecodingCaller.withoutNet(keeping, direct);
        trickle.feed(bytes("a".repeat(N - 1)));
        assertTooLong(() -> trickle.feed(bytes("a")), N + 1); // N bytes and no LF yet: at least N + 1 with it
    }

    @Test
    void aCallScansNoFurtherThanALegalLineCanReach() {
        byte[] noLf = new byte[1 << 20];
        ByteBuffer in = ByteBuffer.wrap(noLf);
        in.put(noLf.length - 1, (byte) '\n');
        // The LF at the end lies beyond any legal line: fail without a frame of a megabyte.
        assertThatThrownBy(() -> FrameDecoders.lines(N).decode(in)).isInstanceOf(FrameTooLongException.class);
    }

    @Test
    void theLimitIsAtLeastOne() {
        assertThatThrownBy(() -> FrameDecoders.lines(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(FrameDecoders.lines(1).maxFrameLength()).isEqualTo(1);
        assertThat(FrameDecoders.lines(1).keepingTerminator().keepsTerminator()).isTrue();
    }

    static void assertTooLong(Runnable decoding, long length) {
        assertThatThrownBy(decoding::run).isInstanceOfSatisfying(FrameTooLongException.class, e -> {
            assertThat(e.length()).isEqualTo(length);
            assertThat(e.maxFrameLength()).isEqualTo(N);
        });
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }
}
