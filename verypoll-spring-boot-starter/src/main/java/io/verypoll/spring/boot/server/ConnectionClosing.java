package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.server.Connection.State;
import io.verypoll.spring.boot.server.ConnectionStateMachine.Callback;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import java.io.IOException;

/**
 * The closing half of a {@link ConnectionStateMachine}: half-close, graceful close, linger and the
 * final close, each a move of the machine's {@link State} from {@code OPEN} on. Apart from the machine
 * because none of it runs per read or write: the machine keeps the state and the events, this class
 * the way out. Loop thread only, as the machine.
 *
 * <p>Graceful close: pending bytes go out, then the end of stream, then the connection lingers
 * (reading and discarding) until the peer ends too or falls quiet: closing a socket with unread
 * input would make the kernel reset it and drop what it has not sent yet.
 */
final class ConnectionClosing {

    /** The connection's category: these are the connection's messages. */
    private static final Log log = LogFactory.getLog(Connection.class);

    private final ConnectionStateMachine machine;
    /** Set when the connection is asked to close: the reason it closes with when all went well. */
    private CloseReason closingReason;
    private CloseReason closeReason;

    ConnectionClosing(ConnectionStateMachine machine) {
        this.machine = machine;
    }

    CloseReason closingReason() {
        return closingReason;
    }

    CloseReason closeReason() {
        return closeReason;
    }

    /**
     * An outbound connect failed ({@code reason} says how): the connection never opens, and the handler
     * is made only to be told, with {@code onClose}. Counted like any close; the owner never counted it open.
     */
    void connectFailed(ConnectionHandlerFactory handlerFactory, CloseReason reason) {
        machine.state = State.CLOSED;
        closeReason = reason;
        machine.counters.closed[reason.ordinal()]++;
        closeChannelQuietly();
        machine.factory = handlerFactory;
        machine.call(Callback.CREATE, null);
        if (machine.handler != null) {
            machine.call(Callback.CLOSE, null);
        }
    }

    /**
     * At the shutdown timeout: bytes still unsent and replies still due are lost, running offloaded
     * work is interrupted, and the close counts as forced.
     */
    boolean forceClose() {
        boolean forced = !machine.outbound.isEmpty() || machine.offloadsOutstanding() > 0;
        if (machine.offloads != null) {
            machine.offloads.drop(true);
        }
        closeNow(forced ? CloseReason.SHUTDOWN_FORCED : CloseReason.SHUTDOWN, null);
        return forced;
    }

    /** See {@link Connection#shutdownOutput()}. */
    void shutdownOutput() {
        if (machine.state != State.OPEN) {
            return;
        }
        if (machine.offloads != null && machine.offloads.deferShutdown()) {
            return; // the replies still due go first
        }
        machine.output.sendGathered();
        if (machine.state != State.OPEN) {
            return;
        }
        machine.state = State.OUTPUT_SHUTTING;
        if (machine.outbound.isEmpty()) {
            outputDone();
        }
    }

    /** End of stream from the peer. */
    void peerEnded() {
        if (machine.handler == null) {
            closeNow(CloseReason.PEER_CLOSED, null); // before the setup was done: nothing to tell
            return;
        }
        switch (machine.state) {
            case OPEN, OUTPUT_SHUTTING -> machine.call(Callback.READ_CLOSED, null);
            case OUTPUT_SHUT -> {
                // Both directions are done: nothing is left to wait for.
                if (machine.call(Callback.READ_CLOSED, null)) {
                    closeNow(CloseReason.PEER_CLOSED, null);
                }
            }
            case LINGERING -> closeNow(closingReason, null);
            default -> {
                // CLOSING: the pending bytes still go out; the close follows the end of stream.
            }
        }
    }

    /** Everything written after a shutdown or close was asked: send the end of stream. */
    void outputDone() {
        try {
            machine.channel.shutdownOutput();
        } catch (IOException e) {
            closeNow(CloseReason.IO_ERROR, e);
            return;
        }
        if (machine.state == State.OUTPUT_SHUTTING) {
            machine.state = State.OUTPUT_SHUT;
            if (machine.input.isReadClosed()) {
                closeNow(CloseReason.PEER_CLOSED, null);
            }
            return;
        }
        endOfStreamSent();
    }

    /** A closing connection has sent its end of stream: close now if the peer has ended, else linger. */
    private void endOfStreamSent() {
        // With the peer's end of stream already read no reset can happen.
        if (machine.input.isReadClosed() || machine.settings.lingerTimeout().isZero()) {
            closeNow(closingReason, null);
            return;
        }
        machine.state = State.LINGERING;
        machine.input.quietFromNow();
        machine.timer.armForLinger();
        machine.updateInterest();
        // Input may already wait in the socket with its edge consumed while it went to the handler.
        machine.input.continueLater();
    }

    void beginClose(CloseReason reason) {
        if (machine.state == State.OPEN) {
            machine.output.sendGathered(); // what the batch so far wrote goes out before the end of stream
        }
        FrameReader framed = machine.framed();
        if (framed != null && machine.state.deliversInput()) {
            framed.dropInput(); // input is discarded from now on: no frames kept for a closing connection
        }
        if (machine.state == State.OPEN && machine.offloads != null && machine.offloads.deferClose(reason)) {
            return; // the replies still due go out first
        }
        switch (machine.state) {
            case OPEN, OUTPUT_SHUTTING -> {
                machine.state = State.CLOSING;
                closingReason = reason;
                if (machine.outbound.isEmpty()) {
                    outputDone();
                } else {
                    machine.updateInterest();
                    machine.input.continueLater(); // discard what the paused reader left unread
                }
            }
            case OUTPUT_SHUT -> {
                machine.state = State.CLOSING;
                closingReason = reason;
                endOfStreamSent();
            }
            default -> {
                // Closing or closed already.
            }
        }
    }

    void closeNow(CloseReason reason, IOException cause) {
        if (machine.state == State.CLOSED) {
            return;
        }
        machine.state = State.CLOSED;
        ServerCounters.Stripe counters = machine.counters;
        if (cause instanceof LayerFailure failure) {
            reason = failure.reason();
            if (failure.tls() != null) {
                counters.tlsFailures[failure.tls().ordinal()]++;
            }
        }
        closeReason = reason;
        ConnectionOwner owner = machine.owner;
        if (cause != null && log.isDebugEnabled()) {
            log.debug("connection " + machine.id + " of " + owner.name() + " closed: " + reason.tag(), cause);
        }
        machine.runtime.cancelTimer(machine.timer);
        try {
            machine.loop.deregister(machine.token);
        } catch (IOException | RuntimeException e) {
            log.trace("deregister on close failed", e);
        }
        // Counted before the peer can see the close, so that a client reacting to it finds the count.
        counters.closed[reason.ordinal()]++;
        closeChannelQuietly();
        machine.output.clear();
        if (machine.offloads != null) {
            machine.offloads.drop(false); // late results are dropped (counted); work not started never runs
        }
        owner.connectionClosed(machine.connection);
        if (machine.handler == null && machine.awaitingSetup() && owner.client() != null) {
            // An outbound connection whose layer failed (a TLS handshake) never opened: its handler is
            // made only to be told, with onClose, as for a failed connect.
            machine.call(Callback.CREATE, null);
        }
        if (machine.handler != null) {
            machine.call(Callback.CLOSE, null);
        }
    }

    void closeChannelQuietly() {
        try {
            machine.channel.close();
        } catch (IOException e) {
            log.trace("close failed", e);
        }
    }
}
