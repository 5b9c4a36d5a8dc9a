package io.verypoll.spring.boot.frame;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Length fields of every size in both orders: the limit on content (header stripped or kept),
 * checked from the header alone; unsigned 1-4 byte fields, signed 8-byte ones; adjustments and
 * strips that cannot make a frame; the builder's checks.
 */
@Timeout(30)
class LengthFieldDecoderTest {

    private static final int N = 200; // fits a 1-byte field, with room for a kept header

    static Stream<Arguments> fields() {
        return Stream.of(1, 2, 3, 4, 8).flatMap(length -> Stream.of(ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN)
                .flatMap(order -> Stream.of(Arguments.of(length, order, false), Arguments.of(length, order, true))));
    }

    @ParameterizedTest(name = "{0} bytes {1} direct={2}")
    @MethodSource("fields")
    void headerStrippedContentOfExactlyTheLimitPassesAndOneMoreFailsFromTheHeaderAlone(
            int fieldLength, ByteOrder order, boolean direct) {
        LengthFieldDecoder decoder = FrameDecoders.lengthField().fieldOffset(1).fieldLength(fieldLength).order(order)
                .stripHeader(true).maxFrameLength(N).build();
        int header = 1 + fieldLength;
        byte[] frame = frame(header, fieldLength, order, N, N);
        DecodingCaller caller = new DecodingCaller(decoder, N, header, direct);
        caller.feed(frame);
        assertThat(caller.frames()).containsExactly(Arrays.copyOfRange(frame, header, frame.length));

        byte[] tooLongHeader = frame(header, fieldLength, order, N + 1, 0);
        assertTooLong(decoder, tooLongHeader, direct, N + 1, N);
    }

    @ParameterizedTest(name = "{0} bytes {1} direct={2}")
    @MethodSource("fields")
    void aKeptHeaderCountsTowardsTheLimit(int fieldLength, ByteOrder order, boolean direct) {
        LengthFieldDecoder decoder = FrameDecoders.lengthField().fieldOffset(2).fieldLength(fieldLength).order(order)
                .maxFrameLength(N).build();
        int header = 2 + fieldLength;
        byte[] frame = frame(header, fieldLength, order, N - header, N - header);
        DecodingCaller caller = new DecodingCaller(decoder, N, 0, direct);
        caller.feed(frame);
        assertThat(caller.frames()).containsExactly(frame);

        assertTooLong(decoder, frame(header, fieldLength, order, N - header + 1, 0), direct, N + 1, N);
    }

    @ParameterizedTest(name = "{0} bytes {1} direct={2}")
    @MethodSource("fields")
    void anEmptyBodyIsAFrame(int fieldLength, ByteOrder order, boolean direct) {
        LengthFieldDecoder stripping = FrameDecoders.lengthField().fieldLength(fieldLength).order(order)
                .stripHeader(true).maxFrameLength(N).build();
        byte[] empty = frame(fieldLength, fieldLength, order, 0, 0);
        DecodingCaller caller = new DecodingCaller(stripping, N, fieldLength, direct);
        caller.feed(FramingCase.concat(empty, empty));
        assertThat(caller.frames()).containsExactly(new byte[0], new byte[0]);
    }

    @Test
    void fieldsUpToFourBytesAreUnsigned() {
        for (ByteOrder order : new ByteOrder[] {ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN}) {
            LengthFieldDecoder one = stripping(1, order, 255);
            ByteBuffer in = ByteBuffer.wrap(frame(1, 1, order, 0xFF, 0xFF));
            assertThat(one.decode(in)).isEqualTo(256);
            assertThat(in.remaining()).isEqualTo(255);

            LengthFieldDecoder two = stripping(2, order, 65_535);
            in = ByteBuffer.wrap(frame(2, 2, order, 0xFFFF, 0xFFFF));
            assertThat(two.decode(in)).isEqualTo(65_537);
            assertThat(in.remaining()).isEqualTo(65_535);

            assertTooLong(stripping(3, order, 1 << 20), frame(3, 3, order, 0xFF_FFFF, 0), false, 0xFF_FFFFL, 1 << 20);
            assertTooLong(stripping(4, order, Integer.MAX_VALUE), frame(4, 4, order, 0xFFFF_FFFFL, 0), true,
                    0xFFFF_FFFFL, Integer.MAX_VALUE);
        }
    }

    @Test
    void eightByteFieldsAreSignedAndTooLongOnesFailBeforeTheBody() {
        for (ByteOrder order : new ByteOrder[] {ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN}) {
            assertTooLong(stripping(8, order, N), frame(8, 8, order, Long.MAX_VALUE, 0), false, Long.MAX_VALUE, N);
            assertTooLong(stripping(8, order, N), frame(8, 8, order, Integer.MAX_VALUE + 1L, 0), false,
                    Integer.MAX_VALUE + 1L, N);
            LengthFieldDecoder kept = FrameDecoders.lengthField().fieldLength(8).order(order).maxFrameLength(N).build();
            assertTooLong(kept, frame(8, 8, order, Long.MAX_VALUE, 0), true, Long.MAX_VALUE, N); // saturates, no overflow
            for (long negative : new long[] {-1, Long.MIN_VALUE}) {
                assertThatThrownBy(() -> stripping(8, order, N).decode(ByteBuffer.wrap(frame(8, 8, order, negative, 0))))
                        .isExactlyInstanceOf(FrameException.class).hasMessageContaining("negative");
            }
        }
    }

    @Test
    void anAdjustmentCorrectsTheValueAndMayNotMakeItNegative() {
        // The field counts the whole frame (header of 2 + field of 2).
        LengthFieldDecoder whole = FrameDecoders.lengthField().fieldOffset(2).fieldLength(2).adjustment(-4)
                .stripHeader(true).maxFrameLength(N).build();
        byte[] frame = {9, 9, 0, 7, 'a', 'b', 'c'};
        ByteBuffer in = ByteBuffer.wrap(frame);
        assertThat(whole.decode(in)).isEqualTo(7);
        assertThat(in.position()).isEqualTo(4);
        assertThat(in.limit()).isEqualTo(7);
        assertThat(whole.decode(ByteBuffer.wrap(new byte[] {9, 9, 0, 4}))).as("header only: empty").isEqualTo(4);
        assertThatThrownBy(() -> whole.decode(ByteBuffer.wrap(new byte[] {9, 9, 0, 3})))
                .isExactlyInstanceOf(FrameException.class).hasMessageContaining("negative");

        // The field leaves out a 2-byte trailer, which stays in the content.
        LengthFieldDecoder trailer = FrameDecoders.lengthField().fieldLength(1).adjustment(2).stripHeader(true)
                .maxFrameLength(N).build();
        ByteBuffer withTrailer = ByteBuffer.wrap(new byte[] {1, 'a', 'c', 'c', 'x'});
        assertThat(trailer.decode(withTrailer)).isEqualTo(4);
        assertThat(withTrailer.remaining()).isEqualTo(3);
    }

    @Test
    void strippingMoreThanTheFrameFails() {
        LengthFieldDecoder decoder = FrameDecoders.lengthField().fieldLength(4).strip(6).maxFrameLength(N).build();
        ByteBuffer fits = ByteBuffer.wrap(new byte[] {0, 0, 0, 3, 'a', 'b', 'c'});
        assertThat(decoder.decode(fits)).isEqualTo(7);
        assertThat(fits.position()).isEqualTo(6);
        assertThatThrownBy(() -> decoder.decode(ByteBuffer.wrap(new byte[] {0, 0, 0, 1, 'a'})))
                .isExactlyInstanceOf(FrameException.class).hasMessageContaining("strip");
    }

    @Test
    void aFrameLongerThanAnIntCanCountFailsEvenUnderAnIntLimit() {
        LengthFieldDecoder decoder = FrameDecoders.lengthField().fieldLength(4).strip(10)
                .maxFrameLength(Integer.MAX_VALUE).build();
        assertThatThrownBy(() -> decoder.decode(ByteBuffer.wrap(frame(4, 4, ByteOrder.BIG_ENDIAN, Integer.MAX_VALUE, 0))))
                .isInstanceOf(FrameTooLongException.class);
    }

    @Test
    void anIncompleteHeaderOrBodyWaits() {
        LengthFieldDecoder decoder = stripping(4, ByteOrder.BIG_ENDIAN, N);
        assertThat(decoder.decode(ByteBuffer.wrap(new byte[] {0, 0, 0}))).isZero();
        assertThat(decoder.decode(ByteBuffer.wrap(new byte[] {0, 0, 0, 2, 'a'}))).isZero();
        assertThat(decoder.decode(ByteBuffer.wrap(new byte[0]))).isZero();
    }

    @ParameterizedTest(name = "{0}-byte field, {1}, direct={2}")
    @MethodSource("fields")
    void anIncompleteFrameAnnouncesItsWholeLengthOnceTheHeaderIsIn(int fieldLength, ByteOrder order, boolean direct) {
        int header = 3 + fieldLength;
        byte[] whole = frame(header, fieldLength, order, 50, 50);
        LengthFieldDecoder stripped = FrameDecoders.lengthField().fieldOffset(3).fieldLength(fieldLength).order(order)
                .stripHeader(true).maxFrameLength(N).build();
        LengthFieldDecoder kept = FrameDecoders.lengthField().fieldOffset(3).fieldLength(fieldLength).order(order)
                .adjustment(-header).maxFrameLength(N).build(); // the field counts the whole frame
        byte[] keptWhole = frame(header, fieldLength, order, header + 50, 50);
        for (int have = 0; have < whole.length; have++) {
            long announced = have < header ? 0 : header + 50;
            ByteBuffer in = DecodingCaller.buffer(Arrays.copyOf(whole, have), direct);
            assertThat(stripped.decode(in)).isZero();
            assertThat(stripped.expectedLength(DecodingCaller.buffer(Arrays.copyOf(whole, have), direct)))
                    .as("%d bytes in hand", have).isEqualTo(announced);
            assertThat(kept.expectedLength(DecodingCaller.buffer(Arrays.copyOf(keptWhole, have), direct)))
                    .as("%d bytes in hand, header kept", have).isEqualTo(announced);
        }
    }

    @Test
    void anAnnouncementOverTheLimitFailsAsTheFrameWould() {
        LengthFieldDecoder decoder = stripping(4, ByteOrder.BIG_ENDIAN, N);
        assertThatThrownBy(() -> decoder.expectedLength(ByteBuffer.wrap(frame(4, 4, ByteOrder.BIG_ENDIAN, 2_000_000_000L, 0))))
                .isInstanceOf(FrameTooLongException.class);
    }

    @Test
    void theBuilderRefusesWhatCannotWork() {
        assertThatThrownBy(() -> LengthFieldDecoder.builder().build()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("maxFrameLength");
        for (int bad : new int[] {0, 5, 6, 7, 9, -1}) {
            assertThatThrownBy(() -> LengthFieldDecoder.builder().fieldLength(bad))
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> LengthFieldDecoder.builder().fieldOffset(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LengthFieldDecoder.builder().strip(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LengthFieldDecoder.builder().order(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LengthFieldDecoder.builder().maxFrameLength(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(LengthFieldDecoder.builder().maxFrameLength(1).build().maxFrameLength()).isEqualTo(1);
    }

    private static LengthFieldDecoder stripping(int fieldLength, ByteOrder order, int max) {
        return FrameDecoders.lengthField().fieldLength(fieldLength).order(order).stripHeader(true).maxFrameLength(max)
                .build();
    }

    /** A frame with a {@code header}-byte header ending in the field, the given value, and a body of 'b's. */
    private static byte[] frame(int header, int fieldLength, ByteOrder order, long value, int body) {
        byte[] frame = new byte[header + body];
        Arrays.fill(frame, 0, header - fieldLength, (byte) '\n');
        FramingCase.writeField(frame, header - fieldLength, fieldLength, order, value);
        Arrays.fill(frame, header, frame.length, (byte) 'b');
        return frame;
    }

    private static void assertTooLong(FrameDecoder decoder, byte[] header, boolean direct, long length, int max) {
        ByteBuffer in = DecodingCaller.buffer(header, direct);
        assertThatThrownBy(() -> decoder.decode(in)).isInstanceOfSatisfying(FrameTooLongException.class, e -> {
            assertThat(e.length()).isEqualTo(length);
            assertThat(e.maxFrameLength()).isEqualTo(max);
        });
    }
}
