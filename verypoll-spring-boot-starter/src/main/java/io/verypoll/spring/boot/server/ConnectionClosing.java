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
 * the way out. Static, so that a connection holds nothing more for it; loop thread only, as the machine.
 *
 * <p>Graceful close: pending bytes go out, then the end of stream, then the connection lingers
 * (reading and discarding) until the peer ends too or falls quiet: closing a socket with unread
 * input would make the kernel reset it and drop what it has not sent yet.
 */
final class ConnectionClosing {

    /** The connection's category: these are the connection's messages. */
    private static final Log log = LogFactory.getLog(Connection.class);

    private ConnectionClosing() {
    }

    /**
     * Loads and initialises this class: its owner calls it from its static initialiser (see there
     * why). For the same reason this class has no switch on an enum: javac compiles one to a
     * synthetic class that is loaded at the switch's first run, which may be a close at EMFILE.
     */
    static void load() {
    }

    /**
     * An outbound connect failed ({@code reason} says how): the connection never opens, and the handler
     * is made only to be told, with {@code onClose}. Counted like any close; the owner never counted it open.
     */
    static void connectFailed(ConnectionStateMachine machine, ConnectionHandlerFactory handlerFactory, CloseReason reason) {
        machine.state = State.CLOSED;
        machine.closeReason = reason;
        machine.counters.closed[reason.ordinal()]++;
        closeChannelQuietly(machine);
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
    static boolean forceClose(ConnectionStateMachine machine) {
        boolean forced = !machine.outbound.isEmpty() || machine.offloadsOutstanding() > 0;
        if (machine.offloads != null) {
            machine.offloads.drop(true);
        }
        closeNow(machine, forced ? CloseReason.SHUTDOWN_FORCED : CloseReason.SHUTDOWN, null);
        return forced;
    }

    /** See {@link Connection#shutdownOutput()}. */
    static void shutdownOutput(ConnectionStateMachine machine) {
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
            outputDone(machine);
        }
    }

    /** End of stream from the peer. */
    static void peerEnded(ConnectionStateMachine machine) {
        if (machine.handler == null) {
            closeNow(machine, CloseReason.PEER_CLOSED, null); // before the setup was done: nothing to tell
            return;
        }
        State state = machine.state;
        if (state == State.OPEN || state == State.OUTPUT_SHUTTING) {
            machine.call(Callback.READ_CLOSED, null);
        } else if (state == State.OUTPUT_SHUT) {
            // Both directions are done: nothing is left to wait for.
            if (machine.call(Callback.READ_CLOSED, null)) {
                closeNow(machine, CloseReason.PEER_CLOSED, null);
            }
        } else if (state == State.LINGERING) {
            closeNow(machine, machine.closingReason, null);
        }
        // CLOSING: the pending bytes still go out; the close follows the end of stream.
    }

    /** Everything written after a shutdown or close was asked: send the end of stream. */
    static void outputDone(ConnectionStateMachine machine) {
        try {
            machine.channel.shutdownOutput();
        } catch (IOException e) {
            closeNow(machine, CloseReason.IO_ERROR, e);
            return;
        }
        if (machine.state == State.OUTPUT_SHUTTING) {
            machine.state = State.OUTPUT_SHUT;
            if (machine.input.isReadClosed()) {
                closeNow(machine, CloseReason.PEER_CLOSED, null);
            }
            return;
        }
        endOfStreamSent(machine);
    }

    /** A closing connection has sent its end of stream: close now if the peer has ended, else linger. */
    private static void endOfStreamSent(ConnectionStateMachine machine) {
        // With the peer's end of stream already read no reset can happen.
        if (machine.input.isReadClosed() || machine.settings.lingerTimeout().isZero()) {
            closeNow(machine, machine.closingReason, null);
            return;
        }
        machine.state = State.LINGERING;
        machine.input.quietFromNow();
        machine.timer.armForLinger();
        machine.updateInterest();
        // Input may already wait in the socket with its edge consumed while it went to the handler.
        machine.input.continueLater();
    }

    static void beginClose(ConnectionStateMachine machine, CloseReason reason) {
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
        State state = machine.state;
        if (state == State.OPEN || state == State.OUTPUT_SHUTTING) {
            machine.state = State.CLOSING;
            machine.closingReason = reason;
            if (machine.outbound.isEmpty()) {
                outputDone(machine);
            } else {
                machine.updateInterest();
                machine.input.continueLater(); // discard what the paused reader left unread
            }
        } else if (state == State.OUTPUT_SHUT) {
            machine.state = State.CLOSING;
            machine.closingReason = reason;
            endOfStreamSent(machine);
        }
        // Otherwise closing or closed already.
    }

    /** {@link #closeNow} with {@code SO_LINGER} 0 first, so that a TCP peer gets a reset whatever it has sent. */
    static void abort(ConnectionStateMachine machine, CloseReason reason) {
        if (machine.state == State.CLOSED) {
            return;
        }
        try {
            machine.channel.resetOnClose();
        } catch (IOException | RuntimeException e) {
            log.debug("connection " + machine.id + ": SO_LINGER 0 failed, the close may end the stream instead", e);
        }
        closeNow(machine, reason, null);
    }

    static void closeNow(ConnectionStateMachine machine, CloseReason reason, IOException cause) {
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
        machine.closeReason = reason;
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
        closeChannelQuietly(machine);
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

    static void closeChannelQuietly(ConnectionStateMachine machine) {
        try {
            machine.channel.close();
        } catch (IOException e) {
            log.trace("close failed", e);
        }
    }
}
