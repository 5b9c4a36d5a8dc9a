package io.verypoll.demo.resp;

import io.verypoll.spring.boot.frame.FrameException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random bytes through the decoder and a caller that plays the connection, then every frame that
 * comes out through the command handler's argument reader. Only {@link FrameException}s may
 * escape (they close a connection with frame-error or frame-too-long), and the decoder bounds the
 * memory by itself: with the caller's own net switched off, the bytes waiting for an incomplete
 * command never pass max-command-length.
 */
@Timeout(60)
class RespDecoderFuzzTest {

    private static final RespLimits LIMITS = new RespLimits(16, 256, 128, 512);
    private static final int STREAMS = 20_000;

    @Test
    void randomBytesGiveFramesOrAFrameExceptionAndNothingElse() {
        RespNoise noise = new RespNoise(0xF022L);
        RespArguments arguments = new RespArguments();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        int frames = 0;
        int failures = 0;
        int streams = 0;
        for (; streams < STREAMS && System.nanoTime() < deadline; streams++) {
            byte[] stream = noise.stream(2048);
            // Integer.MAX_VALUE: no net, so a decoder that let input pile up would show here.
            RespCaller caller = new RespCaller(new RespRequestDecoder(LIMITS), Integer.MAX_VALUE, streams % 2 == 0);
            try {
                for (int at = 0; at < stream.length; ) {
                    int to = Math.min(stream.length, at + noise.chunk());
                    for (byte[] frame : caller.feed(stream, at, to)) {
                        assertThat(frame.length).isLessThanOrEqualTo(LIMITS.maxCommandLength());
                        readArguments(arguments, frame);
                        frames++;
                    }
                    assertThat(caller.waiting()).as("bytes held for an incomplete command")
                            .isLessThanOrEqualTo(LIMITS.maxCommandLength());
                    at = to;
                }
            } catch (FrameException e) {
                failures++; // the connection would close: frame-error or frame-too-long
            }
        }
        assertThat(streams).as("streams tried in the time given").isGreaterThan(1000);
        // The noise is meant to hit both outcomes often.
        assertThat(frames).isGreaterThan(streams);
        assertThat(failures).isGreaterThan(streams / 10);
    }

    /** What the command handler does first with every frame: it must never fail on an accepted one. */
    private static void readArguments(RespArguments arguments, byte[] frame) {
        ByteBuffer buffer = ByteBuffer.allocate(frame.length + 8).position(4);
        buffer.put(frame).flip().position(4);
        int n = arguments.parse(buffer);
        assertThat(n).isBetween(0, LIMITS.maxArguments());
        for (int i = 0; i < n; i++) {
            assertThat(arguments.start(i)).isGreaterThanOrEqualTo(4);
            assertThat(arguments.start(i) + arguments.length(i)).isLessThanOrEqualTo(4 + frame.length);
            assertThat(arguments.length(i)).isLessThanOrEqualTo(LIMITS.maxBulkLength());
        }
    }
}
