package io.verypoll.spring.boot.frame;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;

import static io.verypoll.spring.boot.frame.LineDecoderTest.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Resumable lines and delimiters go on from where the last call on a pending frame stopped. Shown
 * by breaking the contract on purpose: a terminator written into bytes already scanned goes unseen.
 * (That they frame correctly is ChunkingTest's job: its cases include them.)
 */
@Timeout(30)
class ResumableScanTest {

    private static final int N = 64;

    @Test
    void aResumableLineDecoderDoesNotRescanWhatItScanned() {
        LineDecoder resumable = FrameDecoders.lines(N).resumable();
        ByteBuffer in = ByteBuffer.wrap(bytes("abc\r\n"));
        in.limit(4);
        assertThat(resumable.decode(in)).isZero();
        in.put(1, (byte) '\n'); // not allowed by the contract; only a decoder that rescans sees it
        assertThat(FrameDecoders.lines(N).decode(in.limit(5).position(0))).as("a stateless one rescans").isEqualTo(2);

        in.limit(5).position(0);
        assertThat(resumable.decode(in)).as("goes on from byte 4").isEqualTo(5);
        assertThat(in.limit()).as("the CR scanned last time still joins the terminator").isEqualTo(3);
    }

    @Test
    void aResumableDelimiterDecoderDoesNotRescanWhatItChecked() {
        DelimiterDecoder resumable = FrameDecoders.delimitedBy("\r\n\r\n", N).resumable();
        ByteBuffer in = ByteBuffer.wrap(bytes("abcdef\r\n\r\n"));
        in.limit(6);
        assertThat(resumable.decode(in)).isZero(); // starts 0..2 checked; 3.. may begin the delimiter
        in.put(0, (byte) '\r').put(1, (byte) '\n').put(2, (byte) '\r').put(3, (byte) '\n');
        in.limit(10).position(0);
        assertThat(resumable.decode(in)).as("goes on from 3: skips the delimiter at 0, finds the one at 6")
                .isEqualTo(10);
        assertThat(in.limit()).isEqualTo(6);
    }

    @Test
    void fewerBytesThanScannedMeanANewStreamScannedFromItsStart() {
        LineDecoder lines = FrameDecoders.lines(N).resumable();
        assertThat(lines.decode(ByteBuffer.wrap(bytes("abcdef")))).isZero();
        assertThat(lines.decode(ByteBuffer.wrap(bytes("a\n")))).isEqualTo(2);

        DelimiterDecoder delimited = FrameDecoders.delimitedBy("|", N).resumable();
        assertThat(delimited.decode(ByteBuffer.wrap(bytes("abcdef")))).isZero();
        assertThat(delimited.decode(ByteBuffer.wrap(bytes("a|")))).isEqualTo(2);
    }

    @Test
    void aFailedFrameLeavesNothingBehind() {
        LineDecoder lines = FrameDecoders.lines(4).resumable();
        assertThat(lines.decode(ByteBuffer.wrap(bytes("abcd")))).isZero();
        assertThatThrownBy(() -> lines.decode(ByteBuffer.wrap(bytes("abcde")))).isInstanceOf(FrameTooLongException.class);
        assertThat(lines.decode(ByteBuffer.wrap(bytes("\n")))).isEqualTo(1);
    }

    @Test
    void optionsKeepResumptionAndEachCallMakesANewInstance() {
        LineDecoder lines = FrameDecoders.lines(N);
        assertThat(lines.isResumable()).isFalse();
        assertThat(lines.resumable()).isNotSameAs(lines.resumable());
        assertThat(lines.resumable().keepingTerminator().isResumable()).isTrue();
        assertThat(lines.keepingTerminator().resumable().keepsTerminator()).isTrue();
        DelimiterDecoder delimited = FrameDecoders.delimitedBy("|", N);
        assertThat(delimited.isResumable()).isFalse();
        assertThat(delimited.resumable().keepingDelimiter().isResumable()).isTrue();
        assertThat(delimited.keepingDelimiter().resumable().keepsDelimiter()).isTrue();
    }
}
