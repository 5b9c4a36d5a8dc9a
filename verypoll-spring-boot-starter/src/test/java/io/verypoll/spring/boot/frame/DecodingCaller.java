package io.verypoll.spring.boot.frame;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Plays the caller of the {@link FrameDecoder} contract exactly as a connection will: appends
 * received bytes, calls decode until it returns 0, puts position and limit back after every call,
 * keeps the unframed rest for the next call, and enforces maxFrameLength as a net. Stricter than a
 * caller in one way: it fails on any breach of the contract (a count out of range, a content view
 * outside the frame).
 *
 * <p>The data never starts at index 0 and is surrounded by poison bytes (CR and LF in turn, a CR
 * right before the data), so a decoder that reads before the position or assumes index 0 fails;
 * reads past the limit fail by themselves (absolute gets check it). Direct buffers are little-endian and heap ones
 * big-endian, so a decoder that relies on the buffer's byte order fails one of them.
 */
final class DecodingCaller {

    private static final int MARGIN = 5;

    private final FrameDecoder decoder;
    private final int maxFrameLength;
    private final int framingBytes;
    private final boolean direct;
    private final List<byte[]> frames = new ArrayList<>();
    private ByteBuffer buffer;
    private int start = MARGIN;
    private int end = MARGIN;

    /**
     * @param framingBytes how many bytes beyond maxFrameLength may wait for an incomplete frame
     *        (headers, terminators) before this caller gives up on it
     */
    DecodingCaller(FrameDecoder decoder, int maxFrameLength, int framingBytes, boolean direct) {
        this.decoder = decoder;
        this.maxFrameLength = maxFrameLength;
        this.framingBytes = framingBytes;
        this.direct = direct;
        this.buffer = allocate(32); // small, so growing and compacting get exercised
    }

    /** A caller without the max length net, so any {@link FrameTooLongException} comes from the decoder. */
    static DecodingCaller withoutNet(FrameDecoder decoder, boolean direct) {
        return new DecodingCaller(decoder, Integer.MAX_VALUE, 0, direct);
    }

    /** {@code bytes} between position and limit of a buffer that has poison before and after them. */
    static ByteBuffer buffer(byte[] bytes, boolean direct) {
        DecodingCaller caller = new DecodingCaller(in -> 0, Integer.MAX_VALUE, 0, direct);
        caller.feed(bytes);
        return caller.buffer.limit(caller.end).position(caller.start);
    }

    /** Appends {@code chunk}, takes every complete frame out and returns those frames (copies). */
    List<byte[]> feed(byte[] chunk) {
        room(chunk.length);
        buffer.limit(buffer.capacity());
        for (byte b : chunk) {
            buffer.put(end++, b);
        }
        return decodeAll();
    }

    /** Every frame taken out so far, in order. */
    List<byte[]> frames() {
        return frames;
    }

    /** Bytes received but not framed yet. */
    int waiting() {
        return end - start;
    }

    private List<byte[]> decodeAll() {
        List<byte[]> taken = new ArrayList<>();
        while (true) {
            buffer.limit(end).position(start);
            int consumed = decoder.decode(buffer);
            if (consumed == 0) {
                buffer.limit(end).position(start);
                if (end - start > (long) maxFrameLength + framingBytes) {
                    throw new FrameTooLongException(end - start, maxFrameLength);
                }
                return taken;
            }
            int from = buffer.position();
            int to = buffer.limit();
            if (consumed < 0 || consumed > end - start) {
                throw new AssertionError(decoder + " consumed " + consumed + " of " + (end - start) + " waiting");
            }
            if (from < start || from > to || to > start + consumed) {
                throw new AssertionError(decoder + " set content [" + (from - start) + ", " + (to - start)
                        + ") outside its frame of " + consumed + " bytes");
            }
            if (to - from > maxFrameLength) {
                throw new FrameTooLongException(to - from, maxFrameLength);
            }
            byte[] content = new byte[to - from];
            for (int i = 0; i < content.length; i++) {
                content[i] = buffer.get(from + i);
            }
            taken.add(content);
            frames.add(content);
            buffer.limit(end).position(start + consumed);
            start += consumed;
        }
    }

    /** Makes room for {@code more} bytes after the data, moving the unframed rest back to the margin first. */
    private void room(int more) {
        if (end + more + MARGIN <= buffer.capacity()) {
            return;
        }
        int waiting = end - start;
        ByteBuffer target = waiting + more + 2 * MARGIN <= buffer.capacity()
                ? buffer : allocate(Math.max(2 * buffer.capacity(), waiting + more + 2 * MARGIN));
        byte[] rest = new byte[waiting];
        for (int i = 0; i < waiting; i++) {
            rest[i] = buffer.get(start + i);
        }
        target.clear();
        poison(target);
        for (int i = 0; i < waiting; i++) {
            target.put(MARGIN + i, rest[i]);
        }
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
        for (int i = 0; i < b.capacity(); i++) {
            b.put(i, (byte) (i % 2 == (MARGIN - 1) % 2 ? '\r' : '\n'));
        }
    }

    /** Feeds {@code stream} in chunks of the given sizes, used in turn and again from the first. */
    static List<byte[]> decodeInChunks(DecodingCaller caller, byte[] stream, int... chunkSizes) {
        int at = 0;
        for (int k = 0; at < stream.length; k = (k + 1) % chunkSizes.length) {
            int size = Math.min(chunkSizes[k], stream.length - at);
            caller.feed(Arrays.copyOfRange(stream, at, at + size));
            at += size;
        }
        return caller.frames();
    }
}
