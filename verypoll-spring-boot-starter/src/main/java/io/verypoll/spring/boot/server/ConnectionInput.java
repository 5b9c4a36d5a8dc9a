package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.LoopRuntime;
import io.verypoll.spring.boot.server.Connection.State;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Bytes in, for one {@link Connection}: reads the channel into the loop's shared read buffer and
 * hands each read to the handler, a bounded number of reads per event; keeps the pauses (the
 * application's, the high watermark's, and offloaded work's bound) and the peer's end of stream. A closing connection's
 * input is read and discarded.
 */
final class ConnectionInput {

    /** Reads per readiness event before yielding to other connections of the loop. */
    private static final int MAX_READS_PER_EVENT = 16;

    private final ConnectionStateMachine machine;
    private final StreamChannel channel;
    private final LoopRuntime runtime;
    private final ServerCounters.Stripe counters;
    private final Runnable continueReading = this::continueReading;
    private boolean readClosed;
    private boolean userPaused;
    /** Offloaded work at its bound, or a close waiting for its replies: no input goes to the handler. */
    private boolean held;
    /** True (the default): input waits while the connection's own output is over the high watermark. */
    private boolean followsOutput = true;
    /** Last bytes read, discarded ones included: what ends lingering once the peer falls quiet. */
    private long lastInputNanos;

    ConnectionInput(ConnectionStateMachine machine, StreamChannel channel, LoopRuntime runtime, ServerCounters.Stripe counters) {
        this.machine = machine;
        this.channel = channel;
        this.runtime = runtime;
        this.counters = counters;
    }

    /** The peer has ended its side. */
    boolean isReadClosed() {
        return readClosed;
    }

    long lastInputNanos() {
        return lastInputNanos;
    }

    /** Lingering starts: the peer's quiet time counts from now. */
    void quietFromNow() {
        lastInputNanos = runtime.now();
    }

    void pause() {
        userPaused = true;
    }

    /** True if reading was paused by the application. */
    boolean resume() {
        boolean was = userPaused;
        userPaused = false;
        return was;
    }

    void followOutput(boolean on) {
        followsOutput = on;
    }

    private boolean outputBlocks() {
        return followsOutput && machine.output.isOverHigh();
    }

    void hold(boolean on) {
        held = on;
    }

    boolean isHeld() {
        return held;
    }

    boolean readingWanted() {
        State state = machine.state();
        if (readClosed || state == State.CLOSED) {
            return false;
        }
        // Input of a closing connection is discarded whatever the pauses say: it must not pile up.
        return !state.deliversInput() || (!outputBlocks() && !userPaused && !held);
    }

    /** Input goes to the handler now: the state takes it and neither pause holds it back. */
    boolean deliversInput() {
        return machine.state().deliversInput() && !userPaused && !held && !outputBlocks();
    }

    /** Reads again after the others of this iteration: data may wait in the socket with its edge consumed. */
    void continueLater() {
        runtime.runLater(continueReading);
    }

    private void continueReading() {
        if (!readingWanted()) {
            return;
        }
        FrameReader framed = machine.framed();
        if (framed != null && framed.holdsInput() && machine.state().deliversInput()) {
            // Frames kept while paused go first, as a batch of their own, before any new byte is read.
            ByteBuffer none = runtime.readBuffer().clear().flip();
            if (!machine.call(ConnectionStateMachine.Callback.DATA, none) || !readingWanted()) {
                machine.updateInterest();
                return;
            }
        }
        readSome();
        machine.updateInterest();
    }

    void readSome() {
        ByteBuffer buffer = runtime.readBuffer();
        for (int i = 0; i < MAX_READS_PER_EVENT; i++) {
            buffer.clear();
            int n;
            try {
                n = channel.read(buffer);
            } catch (IOException e) {
                machine.closeNow(CloseReason.IO_ERROR, e);
                return;
            }
            if (machine.awaitingSetup()) {
                machine.checkSetup(); // the handshake may have finished in this read
                if (!machine.isOpen()) {
                    return;
                }
            }
            if (n == 0) {
                if (channel.hasBufferedInput()) {
                    continue; // a layer took input it has not handed on yet (handshake records, say)
                }
                return; // would block: reading is armed again
            }
            if (n < 0) {
                readClosed = true;
                machine.peerEnded();
                return;
            }
            lastInputNanos = runtime.now();
            // verypoll's contract: a read that leaves room in the buffer drained the socket and
            // re-armed reading, so the read that would only return 0 can be skipped.
            boolean drained = buffer.hasRemaining() && !channel.hasBufferedInput();
            if (machine.state().deliversInput()) {
                counters.bytesReceived += n;
                machine.touch();
                buffer.flip();
                if (!machine.call(ConnectionStateMachine.Callback.DATA, buffer)) {
                    return;
                }
            } // else discarded: a closing connection only waits for the peer's end of stream
            if (drained || !readingWanted()) {
                return;
            }
        }
        // Not drained yet, and under edge semantics no new event will come: continue after the others.
        runtime.runLater(continueReading);
    }
}
