package io.verypoll.spring.boot.frame;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The encoders are the decoders' mirror images: what an encoder frames, the matching decoder gives
 * back, however the stream is cut; and each decoder tells the framing it adds to content exactly.
 */
@Timeout(30)
class FrameEncodersTest {

    private static final long SEED = 0xE2C0DE5L;

    /** header + content + trailer as one connection's gathering write puts them on the wire. */
    private static byte[] encode(FrameEncoder encoder, byte[] content) {
        ByteBuffer body = ByteBuffer.wrap(content);
        ByteBuffer header = ByteBuffer.allocate(FrameEncoder.MAX_FRAMING_LENGTH);
        ByteBuffer trailer = ByteBuffer.allocate(FrameEncoder.MAX_FRAMING_LENGTH);
        encoder.encode(body, header, trailer);
        assertThat(body.position()).as("content untouched").isZero();
        assertThat(body.limit()).isEqualTo(content.length);
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        wire.write(header.array(), 0, header.position());
        wire.writeBytes(content);
        wire.write(trailer.array(), 0, trailer.position());
        return wire.toByteArray();
    }

    private static void roundTrip(FrameEncoder encoder, FrameDecoder decoder, List<byte[]> contents) {
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        contents.forEach(c -> stream.writeBytes(encode(encoder, c)));
        Random random = new Random(SEED);
        for (boolean direct : new boolean[] {false, true}) {
            DecodingCaller caller = new DecodingCaller(decoder, 70_000, decoder.maxFramingLength(), direct);
            int[] chunks = {1 + random.nextInt(7), 1 + random.nextInt(300), 1 + random.nextInt(5000)};
            assertThat(DecodingCaller.decodeInChunks(caller, stream.toByteArray(), chunks))
                    .containsExactlyElementsOf(contents);
            assertThat(caller.waiting()).isZero();
        }
    }

    /** Contents without LF or CR: what a line can carry. */
    private static List<byte[]> texts() {
        Random random = new Random(SEED);
        List<byte[]> contents = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            byte[] text = new byte[random.nextInt(i % 10 == 0 ? 3000 : 40)];
            for (int k = 0; k < text.length; k++) {
                text[k] = (byte) (' ' + random.nextInt(95));
            }
            contents.add(text);
        }
        return contents;
    }

    private static List<byte[]> binaries(int maxLength) {
        Random random = new Random(SEED);
        List<byte[]> contents = new ArrayList<>();
        contents.add(new byte[0]);
        contents.add(new byte[maxLength]);
        for (int i = 0; i < 100; i++) {
            byte[] bytes = new byte[random.nextInt(Math.min(maxLength, 2000) + 1)];
            random.nextBytes(bytes);
            contents.add(bytes);
        }
        return contents;
    }

    @Test
    void linesAndCrlfLinesReadBackAsLines() {
        roundTrip(FrameEncoders.lines(), FrameDecoders.lines(70_000), texts());
        roundTrip(FrameEncoders.crlfLines(), FrameDecoders.lines(70_000), texts());
        roundTrip(FrameEncoders.crlfLines(), FrameDecoders.delimitedBy("\r\n", 70_000), texts());
        assertThat(encode(FrameEncoders.crlfLines(), new byte[] {'a'})).containsExactly('a', '\r', '\n');
    }

    @Test
    void lengthFieldsOfEverySizeAndOrderReadBackThroughTheMatchingDecoder() {
        for (int fieldLength : new int[] {1, 2, 3, 4, 8}) {
            for (ByteOrder order : List.of(ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN)) {
                int max = fieldLength == 1 ? 255 : 65_535;
                FrameDecoder decoder = FrameDecoders.lengthField().fieldLength(fieldLength).order(order)
                        .stripHeader(true).maxFrameLength(max).build();
                roundTrip(FrameEncoders.lengthField(fieldLength, order), decoder, binaries(max));
            }
        }
    }

    @Test
    void theLengthFieldIsWrittenInTheOrderAsked() {
        byte[] content = new byte[0x0102];
        byte[] big = encode(FrameEncoders.lengthField(4, ByteOrder.BIG_ENDIAN), content);
        byte[] little = encode(FrameEncoders.lengthField(3, ByteOrder.LITTLE_ENDIAN), content);
        assertThat(java.util.Arrays.copyOf(big, 4)).containsExactly(0, 0, 1, 2);
        assertThat(java.util.Arrays.copyOf(little, 3)).containsExactly(2, 1, 0);
        assertThat(java.util.Arrays.copyOf(encode(FrameEncoders.lengthField(8, ByteOrder.BIG_ENDIAN), content), 8))
                .containsExactly(0, 0, 0, 0, 0, 0, 1, 2);
    }

    @Test
    void contentTooLongForItsFieldIsRefusedAndBadFieldsAreToo() {
        assertThat(encode(FrameEncoders.lengthField(1, ByteOrder.BIG_ENDIAN), new byte[255])).hasSize(256);
        assertThatIllegalArgumentException()
                .isThrownBy(() -> encode(FrameEncoders.lengthField(1, ByteOrder.BIG_ENDIAN), new byte[256]))
                .withMessage("content of 256 bytes does not fit a 1-byte length field");
        assertThatIllegalArgumentException().isThrownBy(() -> FrameEncoders.lengthField(5, ByteOrder.BIG_ENDIAN));
        assertThatIllegalArgumentException().isThrownBy(() -> FrameEncoders.lengthField(2, null));
    }

    @Test
    void everyBuiltInDecoderTellsTheFramingItStripsExactly() {
        for (FramingCase framing : FramingCase.all()) {
            assertThat(framing.decoders().get().maxFramingLength()).as(framing.name()).isEqualTo(framing.framingBytes());
        }
        FrameDecoder custom = in -> 0;
        assertThat(custom.maxFramingLength()).as("a custom decoder that does not say").isEqualTo(64);
    }
}
