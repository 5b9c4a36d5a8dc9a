package io.verypoll.spring.boot.frame;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.Supplier;

import static io.verypoll.spring.boot.frame.LineDecoderTest.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The contract suits decoders written outside this package: the example in {@link FrameDecoder}'s
 * Javadoc works as written, and a stateful decoder works when each connection has its own.
 */
@Timeout(30)
class CustomDecoderTest {

    /** Verbatim from FrameDecoder's Javadoc. */
    private static final FrameDecoder SHORT_PREFIXED = in -> {
        int start = in.position();
        if (in.remaining() < 2) return 0;
        int length = (in.get(start) & 0xFF) << 8 | in.get(start + 1) & 0xFF;
        if (length > 4096) throw new FrameTooLongException(length, 4096);
        if (in.remaining() < 2 + length) return 0;
        in.limit(start + 2 + length).position(start + 2);
        return 2 + length;
    };

    private static final byte[] STREAM = {0, 3, 'a', 'b', 'c', 0, 0, 0, 1, 'x'};

    @Test
    void theJavadocExampleFramesAStreamSplitAnywhere() {
        for (boolean direct : new boolean[] {false, true}) {
            for (int split = 0; split <= STREAM.length; split++) {
                DecodingCaller caller = new DecodingCaller(SHORT_PREFIXED, 4096, 2, direct);
                caller.feed(Arrays.copyOf(STREAM, split));
                caller.feed(Arrays.copyOfRange(STREAM, split, STREAM.length));
                assertThat(caller.frames()).containsExactly(bytes("abc"), bytes(""), bytes("x"));
                assertThat(caller.waiting()).isZero();
            }
        }
    }

    @Test
    void theJavadocExampleRefusesALongFrameFromItsHeader() {
        assertThatThrownBy(() -> SHORT_PREFIXED.decode(ByteBuffer.wrap(new byte[] {0x10, 0x01})))
                .isInstanceOf(FrameTooLongException.class);
    }

    @Test
    void aStatefulDecoderPerConnectionKeepsConnectionsApart() {
        Supplier<FrameDecoder> perConnection = FrameDecoders.perConnection(HeaderKeepingDecoder::new);
        assertThat(perConnection.get()).isNotSameAs(perConnection.get());
        DecodingCaller one = new DecodingCaller(perConnection.get(), 4096, 2, false);
        DecodingCaller two = new DecodingCaller(perConnection.get(), 4096, 2, true);
        // Interleaved reads: each decoder holds its own connection's parsed header in between.
        one.feed(new byte[] {0, 2, 'a'});
        two.feed(new byte[] {0, 1});
        one.feed(new byte[] {'b', 0});
        two.feed(new byte[] {'z', 0, 0});
        one.feed(new byte[] {0});
        assertThat(one.frames()).containsExactly(bytes("ab"), bytes(""));
        assertThat(two.frames()).containsExactly(bytes("z"), bytes(""));
    }

    @Test
    void aSharedDecoderIsTheSameInstanceForEveryConnection() {
        LineDecoder lines = FrameDecoders.lines(80);
        Supplier<FrameDecoder> shared = FrameDecoders.shared(lines);
        assertThat(shared.get()).isSameAs(lines).isSameAs(shared.get());
        assertThatThrownBy(() -> FrameDecoders.shared(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FrameDecoders.perConnection(null)).isInstanceOf(IllegalArgumentException.class);
    }

    /** Remembers the body length once read, so the header is parsed once per frame: state, so one per connection. */
    private static final class HeaderKeepingDecoder implements FrameDecoder {
        private int length = -1;

        @Override
        public int decode(ByteBuffer in) {
            int start = in.position();
            if (length < 0) {
                if (in.remaining() < 2) {
                    return 0;
                }
                length = (in.get(start) & 0xFF) << 8 | in.get(start + 1) & 0xFF;
            }
            if (in.remaining() < 2 + length) {
                return 0;
            }
            int consumed = 2 + length;
            length = -1;
            in.limit(start + consumed).position(start + 2);
            return consumed;
        }
    }
}
