package io.verypoll.spring.boot.server;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * Bytes out, for one {@link Connection}. Outside a batch a write goes to the socket at once and
 * only what the socket does not take is copied into the {@link OutboundBuffer}, sent when the
 * socket can take it. During a batch (the frames of one read of a framed connection) writes are
 * gathered in the loop's {@link WriteBatch} and sent with one write when the batch ends, or
 * earlier if it fills up; what the socket does not take then joins the outbound buffer as usual.
 * Writes from anywhere else (tasks, timers, other connections' handlers) never wait for a batch:
 * they go to the socket at once, which is already as early as an end-of-iteration flush; replies of
 * offloaded work applied together are a batch of their own. An owned buffer is queued as itself
 * rather than copied, and a streamed body is pulled as the socket takes it.
 */
final class ConnectionOutput implements OutboundBuffer.Failures {

    private static final Log log = LogFactory.getLog(ConnectionOutput.class);

    private final ConnectionStateMachine machine;
    private final StreamChannel channel;
    private final ServerCounters.Stripe counters;
    private final OutboundBuffer pending;
    /** The batch this connection gathers into, null outside its batches. */
    private WriteBatch gathering;
    /** Made when a flush first yields: most connections never send enough to need it. */
    private Runnable continueSending;

    ConnectionOutput(ConnectionStateMachine machine, StreamChannel channel, ServerCounters.Stripe counters, ServerSettings settings) {
        this.machine = machine;
        this.channel = channel;
        this.counters = counters;
        this.pending = new OutboundBuffer(settings.lowWatermark(), settings.highWatermark(), settings.maxPendingBytes(),
                this, counters);
    }

    /** A release (or a body's close) threw after the fact: counted and logged as a handler error; the connection goes on. */
    @Override
    public void callbackFailed(Throwable error) {
        counters.handlerErrors++;
        machine.runtime.recordHandlerError(error);
        log.warn("a release or body close of " + machine.owner.role() + " '" + machine.owner.name() + "' threw on connection " + machine.id,
                error);
    }

    OutboundBuffer pending() {
        return pending;
    }

    boolean isOverHigh() {
        return pending.isOverHigh();
    }

    /** See {@link Connection#writeStatus()}. */
    WriteResult status() {
        if (!machine.state().takesWrites()) {
            return WriteResult.CLOSED;
        }
        return pending.isBelowHigh() ? WriteResult.OK : WriteResult.SLOW_DOWN;
    }

    /** See {@link Connection#write(ByteBuffer)}. */
    boolean write(ByteBuffer src) {
        if (!machine.state().takesWrites()) {
            return false;
        }
        if (!src.hasRemaining()) {
            return pending.isBelowHigh();
        }
        if (gathering != null && pending.isEmpty()) { // behind pending bytes a write must queue
            if (gathering.gather(src)) {
                return true;
            }
            sendGathered(); // full: what was gathered goes first
            if (!machine.state().takesWrites()) {
                return false;
            }
            if (gathering != null && pending.isEmpty() && gathering.gather(src)) {
                return true;
            } // else larger than the batch's room: written like outside a batch, after the rest
        }
        if (pending.isEmpty()) {
            int n;
            try {
                n = channel.write(src);
            } catch (IOException e) {
                machine.closeNow(CloseReason.IO_ERROR, e);
                return false;
            }
            if (n > 0) {
                counters.bytesSent += n;
                machine.touch();
            }
            if (!src.hasRemaining()) {
                return true;
            }
        }
        if (pending.wouldExceedCap(src.remaining())) {
            closeForPendingCap();
            return false;
        }
        pending.append(src);
        machine.updateInterest();
        return pending.isBelowHigh();
    }

    /**
     * See {@link Connection#writeOwned}. In a batch a buffer that fits the batch's room is copied into
     * its direct scratch and released at once (for a heap buffer, the copy the JDK makes to write it
     * anyway); a larger one goes out by itself after what the batch gathered. Otherwise the socket
     * takes what it can and the rest of the buffer itself is queued: never copied.
     */
    WriteResult writeOwned(ByteBuffer buffer, Consumer<? super ByteBuffer> release) {
        if (!machine.state().takesWrites()) {
            OutboundBuffer.release(buffer, release, this);
            return WriteResult.CLOSED;
        }
        if (gathering != null && pending.isEmpty() && buffer.hasRemaining()) {
            boolean gathered = gathering.gather(buffer);
            if (!gathered) {
                sendGathered(); // what was gathered goes first
                gathered = machine.state().takesWrites() && gathering != null && pending.isEmpty()
                        && gathering.gather(buffer);
            }
            if (gathered || !machine.state().takesWrites()) {
                OutboundBuffer.release(buffer, release, this);
                return status();
            }
        }
        if (pending.isEmpty() && buffer.hasRemaining()) {
            long n;
            try {
                n = OutboundBuffer.writeOut(channel, buffer);
            } catch (IOException e) {
                OutboundBuffer.release(buffer, release, this);
                machine.closeNow(CloseReason.IO_ERROR, e);
                return WriteResult.CLOSED;
            }
            sent(n);
        }
        if (!buffer.hasRemaining()) {
            OutboundBuffer.release(buffer, release, this);
            return status();
        }
        pending.appendOwned(buffer, release);
        machine.updateInterest();
        return status();
    }

    /**
     * See {@link Connection#writeBody}: queued behind what is pending (what the batch gathered goes
     * first); with nothing pending it starts at once.
     */
    WriteResult writeBody(BodySource body) {
        if (machine.state().takesWrites()) {
            sendGathered();
        }
        if (!machine.state().takesWrites()) {
            OutboundBuffer.close(body, this);
            return WriteResult.CLOSED;
        }
        boolean start = pending.isEmpty();
        pending.appendBody(body);
        if (start && !flushPending()) {
            return WriteResult.CLOSED;
        }
        machine.updateInterest();
        return status();
    }

    /**
     * {@code a}, {@code b} and {@code c} (may be null) in that order: one gathering write when
     * nothing is pending or gathered, so none of them is copied unless the socket leaves it.
     */
    boolean write(ByteBuffer a, ByteBuffer b, ByteBuffer c, WriteBatch batch) {
        if (!machine.state().takesWrites()) {
            return false;
        }
        if (gathering != null || !pending.isEmpty()) {
            // Gathered (or queued behind pending bytes) one after the other, each as write takes it.
            write(a);
            write(b);
            if (c != null) {
                write(c);
            }
            return machine.state().takesWrites() && pending.isBelowHigh();
        }
        ByteBuffer[] srcs = batch.three(a, b, c);
        int count = c == null ? 2 : 3;
        try {
            long n;
            try {
                n = channel.write(srcs, 0, count);
            } catch (IOException e) {
                machine.closeNow(CloseReason.IO_ERROR, e);
                return false;
            }
            sent(n);
            return keepUnsent(srcs, count) && pending.isBelowHigh();
        } finally {
            batch.forgetThree();
        }
    }

    // ---------------------------------------------------------------- batches

    /** Gathers this connection's writes from now on; returns the view frames of {@code readBuffer} go through. */
    ByteBuffer beginBatch(WriteBatch batch, ByteBuffer readBuffer) {
        if (batch.owner == null) {
            batch.owner = machine;
            gathering = batch;
        } // else another connection's batch is open: cannot happen (one read at a time), and then writes go straight
        return batch.frameView(readBuffer);
    }

    /** Ends the batch: sends what it gathered, or drops it ({@code send} false: the handler failed). */
    void endBatch(boolean send) {
        if (send) {
            sendGathered();
        }
        dropGathered();
    }

    /** Sends what the batch gathered so far, in one write; the socket's leftovers join the outbound buffer. */
    void sendGathered() {
        WriteBatch batch = gathering;
        if (batch == null || batch.isEmpty()) {
            return;
        }
        long n;
        try {
            n = batch.writeTo(channel);
        } catch (IOException e) {
            machine.closeNow(CloseReason.IO_ERROR, e);
            return;
        }
        sent(n);
        keepUnsent(batch.segments(), batch.count());
        batch.clear();
    }

    /** Forgets what was gathered (closed at once, or failed) and leaves the batch. */
    void dropGathered() {
        WriteBatch batch = gathering;
        if (batch != null) {
            batch.clear();
            batch.owner = null;
            gathering = null;
        }
    }

    // ---------------------------------------------------------------- pending bytes

    /**
     * The socket can take more: sends pending bytes; all sent after a shutdown or close, the end of
     * stream follows; drained from above the high watermark to the low one, reading resumes.
     */
    void sendPending() {
        boolean wasOverHigh = pending.isOverHigh();
        if (!flushPending()) {
            return;
        }
        if (pending.isEmpty() && machine.state() != Connection.State.OPEN) {
            machine.outputDone();
            if (machine.state() == Connection.State.CLOSED) {
                return;
            }
        }
        if (wasOverHigh && !pending.isOverHigh()) {
            machine.belowLowWatermark();
        }
    }

    /**
     * Sends pending bytes as far as the socket takes them, and goes on after the loop's other work if
     * the flush stopped at its budget; false if that failed (the connection is closed).
     */
    private boolean flushPending() {
        long written;
        try {
            written = pending.flushTo(channel);
        } catch (OutboundBuffer.BodyFailure e) {
            machine.handlerFailed(e.getCause(), "a body source");
            return false;
        } catch (IOException e) {
            machine.closeNow(CloseReason.IO_ERROR, e);
            return false;
        }
        sent(written);
        if (machine.state() == Connection.State.CLOSED) {
            return false; // a release, a body or its close closed the connection meanwhile
        }
        if (pending.yielded()) {
            if (continueSending == null) {
                continueSending = this::continueSending;
            }
            machine.runtime.runLater(continueSending);
        }
        return true;
    }

    /** A flush that stopped at its budget goes on: the socket may still take data with no new event to come. */
    private void continueSending() {
        if (machine.state() != Connection.State.CLOSED && !pending.isEmpty()) {
            sendPending();
            machine.updateInterest();
        }
    }

    /** Drops the pending bytes (the connection closed); returns how many there were. */
    long clear() {
        dropGathered();
        return pending.clear();
    }

    private void sent(long n) {
        if (n > 0) {
            counters.bytesSent += n;
            machine.touch();
        }
    }

    /** Keeps what the socket left of {@code srcs}, in order; false if that passed the cap and closed. */
    private boolean keepUnsent(ByteBuffer[] srcs, int count) {
        long rest = 0;
        for (int i = 0; i < count; i++) {
            rest += srcs[i].remaining();
        }
        if (rest == 0) {
            return true;
        }
        if (pending.wouldExceedCap(rest)) {
            closeForPendingCap();
            return false;
        }
        for (int i = 0; i < count; i++) {
            if (srcs[i].hasRemaining()) {
                pending.append(srcs[i]);
            }
        }
        machine.updateInterest();
        return true;
    }

    private void closeForPendingCap() {
        log.debug("connection " + machine.id +  " of " + machine.owner.name() + " passed max-pending-bytes ("
                + machine.settings.maxPendingBytes() + "); closing");
        machine.closeNow(CloseReason.PENDING_CAP, null);
    }
}
