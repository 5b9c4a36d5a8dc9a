package io.verypoll.demo.resp;

import io.verypoll.spring.boot.frame.FrameDecoder;
import io.verypoll.spring.boot.frame.FrameTooLongException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Calls a {@link FrameDecoder} the way a framed connection does: appends what arrives, calls decode
 * until it returns 0, puts position and limit back after every call, keeps the unframed rest and
 * calls again from the same start when more arrives; gives up on an incomplete frame once more than
 * max-frame-length plus the decoder's framing waits (the server's net). Stricter than the server
 * in one way: it fails on any breach of the contract (a count out of range, a frame outside the
 * bytes given).
 *
 * <p>The bytes never start at index 0 and poison (CR, LF, '*', '$') lies around them, so a decoder
 * that reads outside its position and limit or assumes index 0 shows it. Direct buffers are
 * little-endian and heap ones big-endian.
 */
final class RespCaller {

    private static final int MARGIN = 7;
    private static final byte[] POISON = {'\r', '\n', '*', '$'};

    private final FrameDecoder decoder;
    private final int maxFrameLength;
    private final boolean direct;
    private final List<byte[]> frames = new ArrayList<>();
    private ByteBuffer buffer;
    private int start = MARGIN;
    private int end = MARGIN;
    private int decodeCalls;

    RespCaller(FrameDecoder decoder, int maxFrameLength, boolean direct) {
        this.decoder = decoder;
        this.maxFrameLength = maxFrameLength;
        this.direct = direct;
        this.buffer = allocate(32); // small, so that growing and moving the rest are exercised
    }

    /** Appends {@code chunk} and returns the frames it completed (copies of their content). */
    List<byte[]> feed(byte[] chunk) {
        return feed(chunk, 0, chunk.length);
    }

    List<byte[]> feed(byte[] chunk, int from, int to) {
        room(to - from);
        buffer.limit(buffer.capacity());
        buffer.put(end, chunk, from, to - from);
        end += to - from;
        return decodeAll();
    }

    List<byte[]> frames() {
        return frames;
    }

    /** Bytes received and not yet framed. */
    int waiting() {
        return end - start;
    }

    int decodeCalls() {
        return decodeCalls;
    }

    /** Feeds {@code stream} in chunks of the given sizes, taken in turn. */
    List<byte[]> feedInChunks(byte[] stream, int... sizes) {
        int at = 0;
        for (int k = 0; at < stream.length; k = (k + 1) % sizes.length) {
            int size = Math.min(sizes[k], stream.length - at);
            feed(stream, at, at + size);
            at += size;
        }
        return frames;
    }

    private List<byte[]> decodeAll() {
        List<byte[]> taken = new ArrayList<>();
        while (end > start) {
            buffer.limit(end).position(start);
            decodeCalls++;
            int consumed = decoder.decode(buffer);
            if (consumed == 0) {
                buffer.limit(end).position(start);
                long framing = Math.max(0, decoder.maxFramingLength());
                if (end - start > maxFrameLength + framing) {
                    throw new FrameTooLongException(end - start - framing, maxFrameLength);
                }
                break;
            }
            int from = buffer.position();
            int to = buffer.limit();
            if (consumed < 0 || consumed > end - start) {
                throw new AssertionError(decoder + " consumed " + consumed + " of " + (end - start));
            }
            if (from < start || from > to || to > start + consumed) {
                throw new AssertionError(decoder + " set content [" + (from - start) + ", " + (to - start)
                        + ") outside its frame of " + consumed + " bytes");
            }
            if (to - from > maxFrameLength) {
                throw new FrameTooLongException(to - from, maxFrameLength);
            }
            byte[] content = new byte[to - from];
            buffer.get(from, content);
            taken.add(content);
            frames.add(content);
            start += consumed;
        }
        return taken;
    }

    private void room(int more) {
        if (end + more + MARGIN <= buffer.capacity()) {
            return;
        }
        int waiting = end - start;
        byte[] rest = new byte[waiting];
        buffer.get(start, rest);
        ByteBuffer target = waiting + more + 2 * MARGIN <= buffer.capacity()
                ? buffer : allocate(Math.max(2 * buffer.capacity(), waiting + more + 2 * MARGIN));
        poison(target);
        target.put(MARGIN, rest);
        buffer = target;
        start = MARGIN;
        end = MARGIN + waiting;
    }

    private ByteBuffer allocate(int capacity) {
        ByteBuffer b = direct ? ByteBuffer.allocateDirect(capacity).order(ByteOrder.LITTLE_ENDIAN)
                : ByteBuffer.allocate(capacity).order(ByteOrder.BIG_ENDIAN);
        poison(b);
        return b;
    }

    private static void poison(ByteBuffer b) {
        b.limit(b.capacity());
        for (int i = 0; i < b.capacity(); i++) {
            b.put(i, POISON[i % POISON.length]);
        }
    }

    @Override
    public String toString() {
        return "RespCaller[" + decoder + ", direct=" + direct + ", waiting=" + waiting() + ", frames=" + frames.size()
                + ", " + Arrays.toString(new int[] {start, end}) + "]";
    }
}
