package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.frame.FrameDecoder;
import io.verypoll.spring.boot.frame.FrameException;
import io.verypoll.spring.boot.frame.FrameTooLongException;
import io.verypoll.spring.boot.loop.LoopTimer;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import java.nio.ByteBuffer;
import java.util.function.Supplier;

/**
 * The inbound framing path: the {@link ConnectionHandler} of a server built with a decoder. It
 * splits what each read brings into frames and hands them to the application's
 * {@link MessageHandler} one at a time, as a batch whose writes the connection gathers and sends
 * once the batch ends. Being a handler like any other, it costs unframed connections nothing;
 * the connection knows it only to deliver kept frames when reading resumes and to drop the input
 * it holds when closing.
 *
 * <p>A frame wholly inside the read buffer is handed on as a view of it: no copy. Only an
 * incomplete tail is copied, into the connection's {@link InputStash}, and the next read completes
 * it there; the frames after it are read in place again. The pending input is then always the
 * stash followed by the read buffer from {@code off}, and while reading is paused the rest of the
 * read buffer joins the stash, so nothing is lost or reordered.
 *
 * <p>Once the decoder {@linkplain FrameDecoder#expectedLength announces} an incomplete frame's
 * length, the stash makes room for all of it at once (once {@value #AHEAD} times the bytes of it
 * held cover it) and takes from each read exactly what the frame still lacks: a large frame is copied once,
 * from the read buffer into its final array, and fills that array, which the handler may then
 * {@linkplain Connection#detachFrame take} instead of copying the frame again.
 *
 * <p>Limits, each closing the connection gracefully after what the batch wrote: a frame's content
 * longer than max-frame-length, or an incomplete frame with more bytes waiting than that plus the
 * decoder's framing ({@link CloseReason#FRAME_TOO_LONG}); a started frame not complete within the
 * frame timeout ({@link CloseReason#FRAME_TIMEOUT}); a stash that would take the server over
 * max-buffered-input ({@link CloseReason#INPUT_CAP}); a {@link FrameException}
 * ({@link CloseReason#FRAME_ERROR}).
 */
final class FrameReader implements ConnectionHandler {

    private static final Log log = LogFactory.getLog(FrameReader.class);

    /** Bytes at least that a read adds to an incomplete frame in the stash before decoding again. */
    private static final int MIN_STEP = 256;
    /**
     * An announced frame gets its room once at most this many times its bytes held cover it: a
     * full read buffer (64 KiB) of a 1 MiB frame reserves all of it, while a header alone cannot
     * make the server reserve megabytes for a few bytes sent. Until then the stash doubles as for
     * any frame (reserving at most twice what arrived); never an array almost the frame's size,
     * which would then double past it.
     */
    private static final int AHEAD = 32;

    private final Connection connection;
    private final ConnectionStateMachine machine;
    private final FrameDecoder decoder;
    private final MessageHandler handler;
    private final int maxFrameLength;
    /** More bytes than this waiting for one incomplete frame: too long. */
    private final long maxIncomplete;
    private final long frameTimeoutNanos;
    private final InputStash stash;
    private FrameTimer timer;
    /** True while an incomplete frame in the stash is timed; it started at {@link #frameStartNanos}. */
    private boolean timing;
    private long frameStartNanos;
    /** Frames handed on in the current batch. */
    private int delivered;
    /** Why framing stopped in this batch, if it did: acted on once the batch is sent. */
    private CloseReason failure;
    private FrameTooLongException tooLong;
    /** The stash's frame being handled, while its array may be handed over; its content's bounds. */
    private ByteBuffer detachable;
    private int detachablePosition;
    private int detachableLimit;
    /** The handler took {@link #detachable}'s array: the stash is empty. */
    private boolean detached;

    FrameReader(Connection connection, FrameDecoder decoder, MessageHandler handler) {
        this.connection = connection;
        this.machine = connection.machine();
        this.decoder = decoder;
        this.handler = handler;
        ServerSettings settings = machine.settings;
        this.maxFrameLength = settings.maxFrameLength();
        this.maxIncomplete = (long) maxFrameLength + Math.max(0, decoder.maxFramingLength());
        this.frameTimeoutNanos = settings.frameTimeout().toNanos();
        this.stash = new InputStash(machine.owner.bufferedInput(), settings.maxBufferedInput(),
                (int) Math.min(Integer.MAX_VALUE - 8, maxIncomplete + 1));
    }

    /** A decoder from {@code decoders} and a handler from {@code handlers} for each connection. */
    static ConnectionHandlerFactory factory(Supplier<? extends FrameDecoder> decoders, MessageHandlerFactory handlers) {
        return connection -> {
            FrameDecoder decoder = decoders.get();
            if (decoder == null) {
                throw new IllegalStateException("the decoder supplier of " + connection.ownerName() + " returned null");
            }
            MessageHandler handler = handlers.create(connection);
            if (handler == null) {
                throw new IllegalStateException("the message handler factory of " + connection.ownerName()
                        + " returned null");
            }
            return new FrameReader(connection, decoder, handler);
        };
    }

    // ---------------------------------------------------------------- the connection's hooks

    /** True while input waits in the stash: on resume it is framed before anything is read. */
    boolean holdsInput() {
        return !stash.isEmpty();
    }

    /**
     * The array of the frame being handled, handed over, if that frame is {@link #detachable}: see
     * {@link Connection#detachFrame}.
     */
    ByteBuffer detach(ByteBuffer frame) {
        if (frame == null || frame != detachable) {
            return null;
        }
        detachable = null;
        detached = true;
        return stash.detach().limit(detachableLimit).position(detachablePosition);
    }

    /** For tests: the connection's stash. */
    InputStash stash() {
        return stash;
    }

    /** The connection is closing or closed: its input is discarded from now on. */
    void dropInput() {
        stash.release();
        timing = false;
        if (timer != null) {
            machine.runtime.cancelTimer(timer);
        }
    }

    // ---------------------------------------------------------------- ConnectionHandler

    @Override
    public void onOpen(Connection c) throws Exception {
        handler.onOpen(c);
    }

    /** One read (or, empty, the resumption of a pause): one batch. */
    @Override
    public void onData(Connection c, ByteBuffer data) throws Exception {
        ByteBuffer view = machine.beginBatch(data);
        delivered = 0;
        failure = null;
        tooLong = null;
        detachable = null;
        detached = false;
        boolean completed = false;
        try {
            decode(data, view);
            if (tooLong != null) {
                handler.onFrameTooLong(c, tooLong);
            }
            if (delivered > 0 && c.isOpen()) {
                handler.onBatchEnd(c);
            }
            completed = true;
        } finally {
            // A handler that threw gets its connection closed at once: what it gathered is dropped.
            machine.endBatch(completed);
        }
        if (failure != null) {
            CloseReason reason = failure;
            failure = null;
            tooLong = null;
            dropInput();
            machine.closeFor(reason);
        } else {
            timeIncompleteFrame();
        }
    }

    @Override
    public void onReadClosed(Connection c) throws Exception {
        dropInput(); // an incomplete frame can no longer complete
        handler.onReadClosed(c);
    }

    @Override
    public void onWritable(Connection c) throws Exception {
        handler.onWritable(c);
    }

    @Override
    public void onClose(Connection c, CloseReason reason) throws Exception {
        dropInput();
        handler.onClose(c, reason);
    }

    // ---------------------------------------------------------------- framing

    /** Frames out of the stash followed by {@code data}'s remaining bytes, until done, paused or failed. */
    private void decode(ByteBuffer data, ByteBuffer view) throws Exception {
        int off = data.position();
        int n = data.limit();
        // How many bytes at the stash's end are copies of data[off - fromData, off).
        int fromData = 0;
        while (!stash.isEmpty()) {
            if (!machine.deliversInput()) {
                keep(data, off, n);
                return;
            }
            ByteBuffer in = stash.bytes();
            int waiting = in.remaining();
            int consumed = decodeOne(in, waiting);
            if (consumed < 0) {
                return;
            }
            if (consumed > 0) {
                int after = waiting - consumed;
                // The array may go to the handler if nothing after the frame is held that this read does not still have.
                if (after <= fromData) {
                    detachable = in;
                    detachablePosition = in.position();
                    detachableLimit = in.limit();
                }
                boolean ok = deliver(in);
                detachable = null;
                if (detached) {
                    detached = false;
                    off -= after; // the stash is empty; what followed the frame is still in this read
                    fromData = 0;
                } else {
                    stash.consume(consumed);
                    fromData = Math.min(fromData, after);
                    if (after > 0 && after == fromData) {
                        // What is left came from this read and is still there: go on in place.
                        off -= after;
                        fromData = 0;
                        stash.release();
                    }
                }
                if (!ok) {
                    return;
                }
                continue;
            }
            if (waiting > maxIncomplete) {
                fail(CloseReason.FRAME_TOO_LONG, incompleteTooLong(waiting));
                return;
            }
            if (off == n) {
                return; // everything is in the stash: wait for more
            }
            long expected = expectedLength(stash.bytes(), waiting);
            if (expected < 0) {
                return;
            }
            // Exactly what the announced frame lacks; else a step doubling what waits, never past one byte over the limit.
            int take = (int) Math.min(n - off, expected > 0 ? expected - waiting
                    : Math.min(Math.max(waiting, MIN_STEP), maxIncomplete + 1 - waiting));
            if (!stash.append(data, off, off + take, ahead(expected, waiting + take))) {
                fail(CloseReason.INPUT_CAP, null);
                return;
            }
            off += take;
            fromData += take;
        }
        while (off < n) {
            if (!machine.deliversInput()) {
                keep(data, off, n);
                return;
            }
            view.limit(n).position(off);
            int consumed = decodeOne(view, n - off);
            if (consumed < 0) {
                return;
            }
            if (consumed == 0) {
                if (n - off > maxIncomplete) {
                    fail(CloseReason.FRAME_TOO_LONG, incompleteTooLong(n - off));
                    return;
                }
                long expected = expectedLength(view.limit(n).position(off), n - off);
                if (expected >= 0 && !stash.append(data, off, n, ahead(expected, n - off))) {
                    fail(CloseReason.INPUT_CAP, null);
                }
                return;
            }
            off += consumed;
            if (!deliver(view)) {
                return;
            }
        }
    }

    /** An incomplete frame with {@code waiting} bytes: its content is at least that less the framing. */
    private FrameTooLongException incompleteTooLong(long waiting) {
        return new FrameTooLongException(waiting - (maxIncomplete - maxFrameLength), maxFrameLength);
    }

    /** Calls the decoder: bytes consumed, 0 for an incomplete frame, -1 after a {@link FrameException}. */
    private int decodeOne(ByteBuffer in, int waiting) {
        int consumed;
        try {
            consumed = decoder.decode(in);
        } catch (FrameException e) {
            decoderFailed(e);
            return -1;
        }
        if (consumed < 0 || consumed > waiting) {
            throw new IllegalStateException("decoder " + decoder + " consumed " + consumed + " of " + waiting + " bytes");
        }
        return consumed;
    }

    /**
     * What the decoder announces the incomplete frame at {@code in} will take, when more than the
     * {@code waiting} bytes there; 0 when it does not say; -1 after failing the connection (more
     * than a frame may take, or a {@link FrameException}), before anything is reserved for it.
     */
    private long expectedLength(ByteBuffer in, int waiting) {
        long expected;
        try {
            expected = decoder.expectedLength(in);
        } catch (FrameException e) {
            decoderFailed(e);
            return -1;
        }
        if (expected > maxIncomplete) {
            fail(CloseReason.FRAME_TOO_LONG, incompleteTooLong(expected));
            return -1;
        }
        return expected > waiting ? expected : 0;
    }

    /** Room to make for an announced frame of which {@code held} bytes are in hand, or 0 for none yet: see {@link #AHEAD}. */
    private static long ahead(long expected, int held) {
        return expected <= (long) AHEAD * held ? expected : 0;
    }

    /** Hands on the frame between {@code frame}'s position and limit; false when framing must stop. */
    private boolean deliver(ByteBuffer frame) throws Exception {
        if (frame.remaining() > maxFrameLength) {
            fail(CloseReason.FRAME_TOO_LONG, new FrameTooLongException(frame.remaining(), maxFrameLength));
            return false;
        }
        handler.onMessage(connection, frame);
        delivered++;
        return true;
    }

    /** Reading is paused (or the connection closing): the rest of this read joins the stash. */
    private void keep(ByteBuffer data, int off, int n) {
        if (!connection.isOpen() || !machine.state().deliversInput()) {
            dropInput();
        } else if (!stash.append(data, off, n)) {
            fail(CloseReason.INPUT_CAP, null);
        }
    }

    /** The decoder refused the input: too long, or not the protocol. */
    private void decoderFailed(FrameException e) {
        if (e instanceof FrameTooLongException tooLong) {
            fail(CloseReason.FRAME_TOO_LONG, tooLong);
        } else {
            fail(CloseReason.FRAME_ERROR, null);
            log.debug("connection " + connection.id() + " of " + connection.ownerName() + ": " + e.getMessage());
        }
    }

    private void fail(CloseReason reason, FrameTooLongException cause) {
        failure = reason;
        tooLong = cause;
    }

    // ---------------------------------------------------------------- frame timeout

    /** After a batch: times an incomplete frame from its first byte; a paused connection's wait is not timed. */
    private void timeIncompleteFrame() {
        if (stash.isEmpty() || !machine.deliversInput() || frameTimeoutNanos == 0) {
            timing = false;
            return;
        }
        if (timing && delivered == 0) {
            return; // the same frame goes on
        }
        timing = true;
        frameStartNanos = machine.runtime.now();
        if (timer == null) {
            timer = new FrameTimer();
        }
        if (!timer.isArmed()) {
            machine.runtime.armTimer(timer, frameStartNanos + frameTimeoutNanos);
        } // else it fires at an earlier deadline and re-arms for this frame
    }

    /** Closes a connection whose incomplete frame is older than the frame timeout; moved only when it fires early. */
    private final class FrameTimer extends LoopTimer {
        @Override
        protected void fire() {
            if (!timing || !connection.isOpen()) {
                return;
            }
            long now = System.nanoTime();
            if (!machine.deliversInput()) {
                // Paused: the peer cannot finish the frame while we do not read. The clock restarts.
                frameStartNanos = now;
            }
            long deadline = frameStartNanos + frameTimeoutNanos;
            if (now - deadline >= 0) {
                dropInput();
                machine.closeFor(CloseReason.FRAME_TIMEOUT);
            } else {
                machine.runtime.armTimer(this, deadline);
            }
        }
    }
}
