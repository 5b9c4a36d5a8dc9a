package io.verypoll.spring.boot.server;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * What one connection owes, in request order: the work it offloaded and the writes the handler made
 * while that work was due. One queue of due entries: calls (running, waiting to start, or done and
 * waiting for an earlier one) and writes held behind them (a copy of the bytes, an owned buffer, a
 * body). Each call runs on the server's offload executor; its completion is handed to the
 * connection's loop (a hand-off that is never refused for capacity), where the entries at the head
 * that are ready go out one after the other, as one batch of writes: a done call replies, a held
 * write is written. A call done before an earlier one waits for it; a write waits for the calls
 * before it.
 *
 * <p>A write is held while anything is due, except the writes of a reply (or of a held write let go)
 * during the drain: they belong at the head. Held writes are counted in the {@link OutboundBuffer}
 * (watermarks, and the cap for copies) as if they were queued there.
 *
 * <p>Bound: at most max-in-flight calls are started and not yet replied. At the bound the connection
 * holds its input (the pause backpressure uses, so no frame is lost or reordered), and calls offloaded
 * beyond it (several from one message) wait to start until an earlier one replies. Held writes do not
 * count toward it; their memory is bounded by the watermarks (input stops above the high one) and the cap.
 *
 * <p>Work that throws without a failure reply closes the connection gracefully after the replies
 * before it. Closed: what was due is dropped and counted (calls; held writes are released); calls not
 * started never run; running ones finish and their results are ignored, unless the shutdown timeout
 * passed, which interrupts them. Made at a connection's first offload: connections that never offload
 * pay one null field, and their writes one null check.
 */
final class ConnectionOffloads {

    private static final Log log = LogFactory.getLog(Connection.class);

    /** An owned buffer held behind work, and what releases it (may be null). */
    private record HeldOwned(ByteBuffer buffer, Consumer<? super ByteBuffer> release) {
    }

    /** Room of a chunk made for held copies: small replies behind one call share one. */
    private static final int HELD_CHUNK = 4 * 1024;

    private final ConnectionStateMachine machine;
    private final Executor executor;
    private final int maxInFlight;
    private final ServerCounters.Stripe counters;
    /** Due, in request order: {@link Call}s, held copies ({@link ByteBuffer}, read mode), {@link HeldOwned}, {@link BodySource}. */
    private final ArrayDeque<Object> due = new ArrayDeque<>();
    /** Calls in {@link #due}. */
    private int calls;
    /** Calls started and not yet replied. */
    private int running;
    /** Calls offloaded at the bound, started as earlier ones reply; null until needed. */
    private ArrayDeque<Call<?>> waiting;
    /** The drain is letting the head go: writes now are the head's (a reply's), not held. */
    private boolean draining;
    /** One drain queued at a time, however many calls complete meanwhile. */
    private final AtomicBoolean drainQueued = new AtomicBoolean();
    private final Runnable drain = this::drain;
    /** Set on the loop when the connection closes; read by executor threads only to skip a useless hand-off. */
    private volatile boolean dropped;
    /** A close (or an output shutdown) asked while entries were due: done after the last one. */
    private CloseReason closeWhenReplied;
    private boolean shutdownWhenReplied;

    ConnectionOffloads(ConnectionStateMachine machine, Executor executor, int maxInFlight, ServerCounters.Stripe counters) {
        this.machine = machine;
        this.executor = executor;
        this.maxInFlight = maxInFlight;
        this.counters = counters;
    }

    /** Calls offloaded and not yet replied: running, done but waiting for an earlier one, or waiting to start. */
    int outstanding() {
        return calls;
    }

    boolean atBound() {
        return calls >= maxInFlight;
    }

    /** True while a direct write must wait behind what is due (not for a reply's own writes). */
    boolean holdsWrites() {
        return !draining && !due.isEmpty();
    }

    /** False once a close or output shutdown waits for the replies: no more work is taken. */
    <T> boolean offload(Callable<? extends T> work, OffloadReply<? super T> reply, OffloadReply<? super Throwable> onFailure) {
        if (closeWhenReplied != null || shutdownWhenReplied) {
            return false;
        }
        Call<T> call = new Call<>(work, reply, onFailure);
        counters.offloadsInFlight++;
        due.addLast(call);
        calls++;
        if (running < maxInFlight && (waiting == null || waiting.isEmpty())) {
            start(call);
        } else {
            if (waiting == null) {
                waiting = new ArrayDeque<>();
            }
            waiting.addLast(call);
        }
        if (atBound() && !machine.input.isHeld()) {
            holdInput(); // a framed connection stops after this frame; the rest is kept in order
        }
        return true;
    }

    // ---------------------------------------------------------------- writes held behind work

    /** Copies all of {@code src} behind what is due (the caller checked the cap and counts the bytes held). */
    void holdCopy(ByteBuffer src) {
        while (src.hasRemaining()) {
            ByteBuffer tail = due.peekLast() instanceof ByteBuffer chunk && chunk.limit() < chunk.capacity() ? chunk : null;
            if (tail == null) {
                tail = ByteBuffer.allocate(Math.max(HELD_CHUNK, src.remaining()));
                tail.limit(0);
                due.addLast(tail);
            }
            int n = Math.min(tail.capacity() - tail.limit(), src.remaining());
            int end = tail.limit();
            tail.limit(end + n).position(end);
            int srcLimit = src.limit();
            src.limit(src.position() + n);
            tail.put(src);
            src.limit(srcLimit);
            tail.position(0);
        }
    }

    /** Keeps {@code buffer} itself behind what is due. */
    void holdOwned(ByteBuffer buffer, Consumer<? super ByteBuffer> release) {
        due.addLast(new HeldOwned(buffer, release));
    }

    void holdBody(BodySource body) {
        due.addLast(body);
    }

    /** Its turn came: a held write is written as if it were made now (it is no longer counted as held). */
    private void letGo(Object entry) {
        ConnectionOutput output = machine.output;
        OutboundBuffer pending = output.pending();
        if (entry instanceof ByteBuffer copy) {
            pending.unhold(copy.remaining(), true);
            output.write(copy);
        } else if (entry instanceof HeldOwned owned) {
            pending.unhold(owned.buffer.remaining(), false);
            output.writeOwned(owned.buffer, owned.release);
        } else {
            pending.unholdBody();
            output.writeBody((BodySource) entry);
        }
    }

    // ---------------------------------------------------------------- close and shutdown

    /** A close of an open connection: true if it must wait for what is still due (input is held meanwhile). */
    boolean deferClose(CloseReason reason) {
        if (due.isEmpty()) {
            return false;
        }
        if (closeWhenReplied == null) {
            closeWhenReplied = reason;
            holdInput();
        }
        return true;
    }

    /** An output shutdown: true if it must wait for what is still due. */
    boolean deferShutdown() {
        if (due.isEmpty()) {
            return false;
        }
        shutdownWhenReplied = true;
        return true;
    }

    private void start(Call<?> call) {
        running++;
        try {
            executor.execute(call);
        } catch (Throwable e) {
            call.refused(e); // a saturated or stopped executor: replied as a failure, in its turn
        }
    }

    /** On the loop: the ready entries at the head go, in order, as one batch of writes. */
    private void drain() {
        drainQueued.set(false);
        boolean wasOverHigh = machine.output.isOverHigh();
        boolean batch = false;
        draining = true;
        try {
            Object head;
            while (!dropped && (head = due.peekFirst()) != null) {
                Call<?> call = head instanceof Call<?> c ? c : null;
                if (call != null && !call.isDone()) {
                    break; // what follows waits for it
                }
                due.pollFirst();
                if (!batch && machine.state() == Connection.State.OPEN) {
                    // Replies are gathered like the writes of a read and sent together.
                    machine.output.beginBatch(machine.owner.writeBatch(machine.loop), machine.runtime.readBuffer());
                    batch = true;
                }
                if (call != null) {
                    calls--;
                    running--;
                    counters.offloadsInFlight--;
                    reply(call);
                } else {
                    letGo(head);
                }
            }
        } finally {
            draining = false;
        }
        if (batch) {
            machine.endBatch(true); // a reply that closed the connection dropped the batch already
        }
        if (dropped) {
            return;
        }
        while (waiting != null && !waiting.isEmpty() && running < maxInFlight) {
            start(waiting.pollFirst());
        }
        if (wasOverHigh && machine.output.pending().relieve() && machine.isOpen()) {
            machine.belowLowWatermark(); // held writes went out whole: nothing else would say so
        }
        settled();
    }

    /** Entries went out: what waited for the last of them is done; below the bound input flows again. */
    private void settled() {
        if (dropped) {
            return;
        }
        if (due.isEmpty()) {
            if (shutdownWhenReplied) {
                shutdownWhenReplied = false;
                machine.shutdownOutput();
            }
            CloseReason reason = closeWhenReplied;
            if (reason != null) {
                closeWhenReplied = null;
                machine.closeFor(reason);
                return;
            }
        }
        if (closeWhenReplied == null && machine.input.isHeld() && !atBound() && machine.isOpen()) {
            machine.input.hold(false);
            machine.resumeAfterPause();
        }
    }

    /** No input reaches the handler until released (or the connection closes, which discards it). */
    private void holdInput() {
        machine.input.hold(true);
        machine.updateInterest();
    }

    private <T> void reply(Call<T> call) {
        T value = null;
        Throwable error = null;
        try {
            value = call.get(); // done: returns at once
        } catch (ExecutionException e) {
            error = e.getCause();
        } catch (CancellationException | InterruptedException e) {
            error = e;
        }
        try {
            if (error == null) {
                call.reply.reply(machine.connection, value);
            } else if (call.onFailure != null) {
                call.onFailure.reply(machine.connection, error);
            } else {
                failed(error);
            }
        } catch (Throwable e) {
            machine.handlerFailed(e, "an offload reply");
        }
    }

    /**
     * Work threw and there is no failure reply: counted and logged as a handler error; the replies
     * before it go out, the later ones and the writes held behind it are dropped (a reply after a
     * missing one would answer the wrong request), and the connection closes gracefully.
     */
    private void failed(Throwable error) {
        counters.handlerErrors++;
        machine.runtime.recordHandlerError(error);
        log.warn("offloaded work of " + machine.owner.role() + " '" + machine.owner.name() + "' threw on connection " + machine.id
                + "; closing it after the replies before it", error);
        drop(false);
        machine.closeFor(CloseReason.HANDLER_ERROR);
    }

    /**
     * The connection closed: whatever was due is dropped; calls are counted, held writes released.
     * Calls not started never run; running ones are interrupted only when {@code interrupt} (the
     * shutdown timeout passed).
     */
    void drop(boolean interrupt) {
        if (dropped) {
            return;
        }
        dropped = true;
        counters.offloadsDropped += calls;
        counters.offloadsInFlight -= calls;
        OutboundBuffer pending = machine.output.pending();
        ArrayDeque<Object> entries = new ArrayDeque<>(due);
        due.clear();
        calls = 0;
        running = 0;
        waiting = null;
        for (Object entry : entries) {
            if (entry instanceof Call<?> call) {
                call.cancel(interrupt);
            } else if (entry instanceof ByteBuffer copy) {
                pending.unhold(copy.remaining(), true);
            } else if (entry instanceof HeldOwned owned) {
                pending.unhold(owned.buffer.remaining(), false);
                OutboundBuffer.release(owned.buffer, owned.release, machine.output);
            } else {
                pending.unholdBody();
                OutboundBuffer.close((BodySource) entry, machine.output);
            }
        }
    }

    /** One offloaded call: the work, run by the executor, and what replies with its outcome on the loop. */
    private final class Call<T> extends FutureTask<T> {
        final OffloadReply<? super T> reply;
        final OffloadReply<? super Throwable> onFailure;

        @SuppressWarnings("unchecked") // a Callable of a subtype of T is a Callable of T for every caller
        Call(Callable<? extends T> work, OffloadReply<? super T> reply, OffloadReply<? super Throwable> onFailure) {
            super((Callable<T>) work);
            this.reply = reply;
            this.onFailure = onFailure;
        }

        void refused(Throwable error) {
            setException(error);
        }

        /** Any thread: the work ended (or was cancelled); the loop takes it from here. */
        @Override
        protected void done() {
            if (!dropped && drainQueued.compareAndSet(false, true)
                    && !machine.runtime.executeInternal(drain)) {
                drainQueued.set(false); // the loop has stopped: closing its connections drops the rest
            }
        }
    }
}
