package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.frame.FrameEncoder;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.util.Arrays;

/**
 * What the connections of one stream server on one loop share to read and write frames: the view
 * through which message handlers see frames of the loop's read buffer, the writes that one
 * connection gathers while it handles the frames of one read, and the room for a frame encoder's
 * header and trailer. Made on first use (unframed servers that never encode make none) and used
 * on that loop's thread only.
 *
 * <p>A gathered write is either a range of the read buffer (a frame written back as it came, the
 * handler's frame view itself: no copy, safe because the batch is sent before the next read into
 * that buffer) or a copy in a direct scratch buffer (anything else: the handler may reuse its
 * buffer as soon as write returns, and the JDK would copy a heap buffer into a direct one to write
 * it anyway). One connection gathers at a time: a batch never nests, as a loop handles one read
 * at a time.
 */
final class WriteBatch {

    /** Bytes copied per batch before it is sent early; a read buffer's worth. */
    static final int SCRATCH_SIZE = 64 * 1024;

    /** Buffers per gathering write: a pipelined batch of 64 framed replies, well below IOV_MAX. */
    static final int MAX_SEGMENTS = 192;

    private ByteBuffer readBuffer;
    private ByteBuffer frameView;
    private ByteBuffer scratch;
    /** Views made once per slot, of the read buffer and of the scratch, so gathering allocates nothing. */
    private final ByteBuffer[] readViews = new ByteBuffer[MAX_SEGMENTS];
    private final ByteBuffer[] scratchViews = new ByteBuffer[MAX_SEGMENTS];
    private final ByteBuffer[] segments = new ByteBuffer[MAX_SEGMENTS];
    private int count;
    private boolean lastInScratch;
    /** The connection gathering now, or null. */
    ConnectionStateMachine owner;

    private ByteBuffer header;
    private ByteBuffer trailer;
    private final ByteBuffer[] framed = new ByteBuffer[3];

    /** The view of {@code buffer} (the loop's read buffer) that frames are handed through. */
    ByteBuffer frameView(ByteBuffer buffer) {
        if (buffer != readBuffer) {
            readBuffer = buffer;
            frameView = buffer.duplicate();
            Arrays.fill(readViews, null);
        }
        return frameView;
    }

    boolean isEmpty() {
        return count == 0;
    }

    /**
     * Takes all of {@code src}: as a view when it is the frame view, else as a copy. False when
     * there is no room left (send what is gathered, then try again) or {@code src} is larger than
     * the scratch (write it directly).
     */
    boolean gather(ByteBuffer src) {
        if (src == frameView) {
            ByteBuffer last = count == 0 || lastInScratch ? null : segments[count - 1];
            if (last != null && last.limit() == src.position()) {
                last.limit(src.limit()); // pipelined frames echoed whole lie side by side: one segment
            } else {
                if (count == MAX_SEGMENTS) {
                    return false;
                }
                ByteBuffer view = readViews[count];
                if (view == null) {
                    view = readViews[count] = readBuffer.duplicate();
                }
                view.limit(src.limit()).position(src.position());
                segments[count++] = view;
                lastInScratch = false;
            }
            src.position(src.limit());
            return true;
        }
        if (scratch == null) {
            scratch = ByteBuffer.allocateDirect(SCRATCH_SIZE);
        }
        int n = src.remaining();
        if (n > scratch.remaining()) {
            return false;
        }
        int at = scratch.position();
        if (lastInScratch) {
            // Consecutive copies lie side by side: one segment.
            segments[count - 1].limit(at + n);
        } else {
            if (count == MAX_SEGMENTS) {
                return false;
            }
            ByteBuffer view = scratchViews[count];
            if (view == null) {
                view = scratchViews[count] = scratch.duplicate();
            }
            view.limit(at + n).position(at);
            segments[count++] = view;
            lastInScratch = true;
        }
        scratch.put(src);
        return true;
    }

    /** Writes what is gathered, as far as the channel takes it; the rest stays in the {@link #segments}. */
    long writeTo(GatheringByteChannel channel) throws IOException {
        return count == 1 ? channel.write(segments[0]) : channel.write(segments, 0, count);
    }

    int count() {
        return count;
    }

    /** The gathered buffers, {@link #count()} of them; after a write, what they still hold was not sent. */
    ByteBuffer[] segments() {
        return segments;
    }

    /** Forgets what was gathered (sent, kept elsewhere, or dropped with a closed connection). */
    void clear() {
        count = 0;
        lastInScratch = false;
        if (scratch != null) {
            scratch.clear();
        }
    }

    /** Cleared room for an encoder's header. */
    ByteBuffer header() {
        if (header == null) {
            header = ByteBuffer.allocateDirect(FrameEncoder.MAX_FRAMING_LENGTH);
        }
        return header.clear();
    }

    /** Cleared room for an encoder's trailer. */
    ByteBuffer trailer() {
        if (trailer == null) {
            trailer = ByteBuffer.allocateDirect(FrameEncoder.MAX_FRAMING_LENGTH);
        }
        return trailer.clear();
    }

    /** {@code a}, {@code b} and {@code c} as the array of a gathering write, made once; {@link #forgetThree} after. */
    ByteBuffer[] three(ByteBuffer a, ByteBuffer b, ByteBuffer c) {
        framed[0] = a;
        framed[1] = b;
        framed[2] = c;
        return framed;
    }

    /** Lets go of the application's buffers, which must not stay reachable from the loop. */
    void forgetThree() {
        Arrays.fill(framed, null);
    }
}
