package io.verypoll.spring.boot.server;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import java.util.ArrayDeque;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The work one connection has offloaded, replied in the order it was offloaded. Each call runs on
 * the server's offload executor; its completion is handed to the connection's loop (a hand-off that
 * is never refused for capacity), where the calls done at the head of the queue reply one after the
 * other, their writes gathered and sent together. A call done before an earlier one waits for it.
 *
 * <p>Bound: at most max-in-flight calls are started and not yet replied. At the bound the connection
 * holds its input (the pause backpressure uses, so no frame is lost or reordered), and calls offloaded
 * beyond it (several from one message) wait to start until an earlier one replies.
 *
 * <p>Work that throws without a failure reply closes the connection gracefully after the replies
 * before it. Closed: what was not replied is dropped and counted; calls not started never run; running ones
 * finish and their results are ignored, unless the shutdown timeout passed, which interrupts them.
 * Made at a connection's first offload: connections that never offload pay one null field.
 */
final class ConnectionOffloads {

    private static final Log log = LogFactory.getLog(Connection.class);

    private final ConnectionStateMachine machine;
    private final Executor executor;
    private final int maxInFlight;
    private final ServerCounters.Stripe counters;
    /** Started calls, in the order they reply. */
    private final ArrayDeque<Call<?>> started = new ArrayDeque<>();
    /** Calls offloaded at the bound, started as earlier ones reply; null until needed. */
    private ArrayDeque<Call<?>> waiting;
    /** One drain queued at a time, however many calls complete meanwhile. */
    private final AtomicBoolean drainQueued = new AtomicBoolean();
    private final Runnable drain = this::drain;
    /** Set on the loop when the connection closes; read by executor threads only to skip a useless hand-off. */
    private volatile boolean dropped;
    /** A close (or an output shutdown) asked while replies were due: done after the last one. */
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
        return started.size() + (waiting == null ? 0 : waiting.size());
    }

    boolean atBound() {
        return outstanding() >= maxInFlight;
    }

    /** False once a close or output shutdown waits for the replies: no more work is taken. */
    <T> boolean offload(Callable<? extends T> work, OffloadReply<? super T> reply, OffloadReply<? super Throwable> onFailure) {
        if (closeWhenReplied != null || shutdownWhenReplied) {
            return false;
        }
        Call<T> call = new Call<>(work, reply, onFailure);
        counters.offloadsInFlight++;
        if (started.size() < maxInFlight && (waiting == null || waiting.isEmpty())) {
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

    /** A close of an open connection: true if it must wait for replies still due (input is held meanwhile). */
    boolean deferClose(CloseReason reason) {
        if (outstanding() == 0) {
            return false;
        }
        if (closeWhenReplied == null) {
            closeWhenReplied = reason;
            holdInput();
        }
        return true;
    }

    /** An output shutdown: true if it must wait for replies still due. */
    boolean deferShutdown() {
        if (outstanding() == 0) {
            return false;
        }
        shutdownWhenReplied = true;
        return true;
    }

    private void start(Call<?> call) {
        started.addLast(call);
        try {
            executor.execute(call);
        } catch (Throwable e) {
            call.refused(e); // a saturated or stopped executor: replied as a failure, in its turn
        }
    }

    /** On the loop: the done calls at the head reply, in order, as one batch of writes. */
    private void drain() {
        drainQueued.set(false);
        boolean batch = false;
        Call<?> head;
        while (!dropped && (head = started.peekFirst()) != null && head.isDone()) {
            started.pollFirst();
            counters.offloadsInFlight--;
            if (!batch && machine.state() == Connection.State.OPEN) {
                // Replies are gathered like the writes of a read and sent together.
                machine.output.beginBatch(machine.owner.writeBatch(machine.loop), machine.runtime.readBuffer());
                batch = true;
            }
            reply(head);
        }
        if (batch) {
            machine.endBatch(true); // a reply that closed the connection dropped the batch already
        }
        if (dropped) {
            return;
        }
        while (waiting != null && !waiting.isEmpty() && started.size() < maxInFlight) {
            start(waiting.pollFirst());
        }
        settled();
    }

    /** Replies went out: what waited for the last of them is done; below the bound input flows again. */
    private void settled() {
        if (outstanding() == 0) {
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
     * before it go out, the later ones are dropped (a reply after a missing one would answer the
     * wrong request), and the connection closes gracefully.
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
     * The connection closed: whatever was not replied is dropped and counted. Calls not started never
     * run; running ones are interrupted only when {@code interrupt} (the shutdown timeout passed).
     */
    void drop(boolean interrupt) {
        if (dropped) {
            return;
        }
        dropped = true;
        int count = outstanding();
        counters.offloadsDropped += count;
        counters.offloadsInFlight -= count;
        for (Call<?> call : started) {
            call.cancel(interrupt);
        }
        started.clear();
        waiting = null;
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
