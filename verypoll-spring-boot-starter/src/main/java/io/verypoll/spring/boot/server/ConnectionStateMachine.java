package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.EventHandler;
import io.verypoll.spring.boot.loop.LoopRuntime;
import io.verypoll.spring.boot.loop.PollLoop;
import io.verypoll.spring.boot.server.Connection.State;
import io.verypoll.Event;
import io.verypoll.Interest;
import io.verypoll.Token;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The machinery behind a {@link Connection}: its state and the moves between states (see
 * {@link State}), its registration with the loop and the readiness events, and every call of its
 * handler. {@link ConnectionInput} reads, {@link ConnectionOutput} writes, {@link ConnectionTimer}
 * times; this class decides what the connection does next. The {@link Connection} itself is the
 * face applications see, and delegates here.
 *
 * <p>The way out (half-close, graceful close with linger, the final close) is {@link ConnectionClosing}'s.
 */
final class ConnectionStateMachine {

    private static final Log log = LogFactory.getLog(Connection.class);

    // The cold paths moved to ConnectionClosing are loaded with this class, not at their first use: at EMFILE
    // loading a class can fail for want of a descriptor, and the JVM then fails that call site for
    // good (JVMS 5.4.3), so every later close would throw.
    static {
        ConnectionClosing.load();
    }

    private static final Interest READ = Interest.READABLE;
    private static final Interest WRITE = Interest.WRITABLE;
    private static final Interest READ_WRITE = Interest.READABLE.add(Interest.WRITABLE);

    /** The handler callbacks, all made through {@link #call}. */
    enum Callback { CREATE, OPEN, DATA, READ_CLOSED, WRITABLE, CLOSE }

    final Connection connection;
    final ConnectionOwner owner;
    final PollLoop loop;
    final LoopRuntime runtime;
    final StreamChannel channel;
    final long id;
    final ServerSettings settings;
    final ServerCounters.Stripe counters;
    final ConnectionInput input;
    final ConnectionOutput output;
    final OutboundBuffer outbound;
    final ConnectionTimer timer = new ConnectionTimer(this);
    private final EventHandler eventHandler = this::onEvent;

    ConnectionHandlerFactory factory;
    ConnectionHandler handler;
    /** The handler when it is the framing path, which is called on resume and close. */
    private FrameReader framed;
    Token token;
    private Interest interest;
    /** Moved here on the way in and by events, by {@link ConnectionClosing} on the way out. */
    State state = State.OPEN;
    /** Last useful I/O: bytes to or from the handler. What the idle timeout measures. */
    private long lastActivityNanos;
    /** Set when the connection is asked to close: the reason it closes with when all went well. */
    CloseReason closingReason;
    /** Why it closed, once it has. */
    CloseReason closeReason;
    /** Made at the first offload. */
    ConnectionOffloads offloads;
    /** A layer of the channel (TLS, PROXY header) is still setting up: no handler yet. */
    private volatile boolean awaitingSetup;
    /** When the setup must be done by. */
    private long setupDeadlineNanos;

    ConnectionStateMachine(Connection connection, ConnectionOwner owner, PollLoop loop, StreamChannel channel, long id,
                           ServerCounters.Stripe counters) {
        this.connection = connection;
        this.owner = owner;
        this.loop = loop;
        this.runtime = loop.runtime();
        this.channel = channel;
        this.id = id;
        this.settings = owner.settings();
        this.counters = counters;
        this.input = new ConnectionInput(this, channel, runtime, counters);
        this.output = new ConnectionOutput(this, channel, counters, settings);
        this.outbound = output.pending();
    }

    /** Runs on the connection's loop right after accept. */
    void open(ConnectionHandlerFactory handlerFactory) {
        try {
            token = loop.register(channel.source(), READ, eventHandler);
        } catch (IOException | RuntimeException e) {
            log.debug("could not register a connection of " + owner.role() + " " + owner.name(), e);
            state = State.CLOSED;
            ConnectionClosing.closeChannelQuietly(this);
            owner.connectionAbandoned(connection);
            return;
        }
        interest = READ;
        lastActivityNanos = runtime.now();
        owner.connectionOpened(connection);
        factory = handlerFactory;
        if (!channel.isReady()) {
            // The handler opens once the layer is set up: it then sees the TLS session and the real peer.
            awaitingSetup = true;
            setupDeadlineNanos = lastActivityNanos + settings.handshakeTimeout().toNanos();
            channel.resumeWith(this::layerResumed);
            timer.armForIdle();
            if (channel.hasBufferedInput()) {
                input.continueLater(); // a client's TLS speaks first: its ClientHello goes out at the first read
            }
            return;
        }
        timer.armForIdle();
        if (call(Callback.CREATE, null)) {
            call(Callback.OPEN, null);
        }
    }

    boolean awaitingSetup() {
        return awaitingSetup;
    }

    long setupDeadlineNanos() {
        return setupDeadlineNanos;
    }

    /** The channel's layers are set up now (after a read, a flush): the handler opens. */
    void checkSetup() {
        if (!awaitingSetup || state == State.CLOSED || !channel.isReady()) {
            return;
        }
        awaitingSetup = false;
        touch();
        timer.armForIdle();
        if (call(Callback.CREATE, null) && call(Callback.OPEN, null) && !outbound.isEmpty()) {
            output.sendPending(); // written while the layer was not ready (from the handler's constructor)
        }
        updateInterest();
    }

    /** A layer's work done elsewhere (a TLS delegated task) is done: go on reading, on the loop. */
    private void layerResumed() {
        if (state != State.CLOSED) {
            input.continueLater();
        }
    }

    /** The setup did not finish by its deadline. */
    void setupTimedOut() {
        closeNow(channel.setupTimeoutReason(), null);
    }


    /** An outbound connect failed: see {@link ConnectionClosing#connectFailed}. */
    void connectFailed(ConnectionHandlerFactory handlerFactory, CloseReason reason) {
        ConnectionClosing.connectFailed(this, handlerFactory, reason);
    }

    /** Graceful shutdown of the application: the same as {@link #close()}, counted as a shutdown. */
    void shutdownGracefully() {
        ConnectionClosing.beginClose(this, CloseReason.SHUTDOWN);
    }

    /** At the shutdown timeout: see {@link ConnectionClosing#forceClose}. */
    boolean forceClose() {
        return ConnectionClosing.forceClose(this);
    }

    /** The loop serving this connection failed: nothing more can be sent or read. */
    void loopFailed() {
        closeNow(CloseReason.LOOP_FAILED, null);
    }

    State state() {
        return state;
    }

    boolean isOpen() {
        return state != State.CLOSED;
    }

    FrameReader framed() {
        return framed;
    }

    long lastActivityNanos() {
        return lastActivityNanos;
    }

    long lastInputNanos() {
        return input.lastInputNanos();
    }

    CloseReason closingReason() {
        return closingReason;
    }

    /** Bytes moved to or from the handler: the idle timeout counts from now. */
    void touch() {
        lastActivityNanos = runtime.now();
    }

    /** See {@link Connection#shutdownOutput()}. */
    void shutdownOutput() {
        ConnectionClosing.shutdownOutput(this);
    }

    /** See {@link Connection#close()}. */
    void close() {
        ConnectionClosing.beginClose(this, input.isReadClosed() ? CloseReason.PEER_CLOSED : CloseReason.LOCAL);
    }

    void pauseReading() {
        input.pause();
        updateInterest();
    }

    void resumeReading() {
        if (input.resume()) {
            resumeAfterPause();
        }
    }

    CloseReason closeReason() {
        return closeReason;
    }

    // ---------------------------------------------------------------- offloaded work

    /** The connection's offloaded work, made at its first offload. */
    ConnectionOffloads offloads() {
        if (offloads == null) {
            offloads = new ConnectionOffloads(this, owner.offloadExecutorForUse(), settings.maxInFlight(), counters);
            output.offloadsMade(offloads);
        }
        return offloads;
    }

    int offloadsOutstanding() {
        return offloads == null ? 0 : offloads.outstanding();
    }

    // ---------------------------------------------------------------- for the framing path

    /** Starts a batch: writes are gathered until {@link #endBatch}. Returns the view frames of {@code readBuffer} go through. */
    ByteBuffer beginBatch(ByteBuffer readBuffer) {
        return output.beginBatch(owner.writeBatch(loop), readBuffer);
    }

    /** Ends the batch: sends what it gathered, or drops it when the handler failed. */
    void endBatch(boolean send) {
        output.endBatch(send);
    }

    /** Input goes to the handler now: not closing, and not paused by the application or by backpressure. */
    boolean deliversInput() {
        return input.deliversInput();
    }

    /** A graceful close for a reason of the framing path (frame too long, timeout, error, input cap). */
    void closeFor(CloseReason reason) {
        ConnectionClosing.beginClose(this, reason);
    }

    // ---------------------------------------------------------------- events and states

    private void onEvent(Event event) {
        if (state == State.CLOSED) {
            return;
        }
        if (event.isError()) {
            IOException error = channel.takeError();
            if (error != null) {
                closeNow(CloseReason.IO_ERROR, error);
                return;
            }
        }
        boolean writable = event.isWritable() || event.isWriteClosed();
        if (writable && channel.hasBufferedOutput()) {
            try {
                channel.flushBuffered();
            } catch (IOException e) {
                closeNow(CloseReason.IO_ERROR, e);
                return;
            }
        }
        if ((event.isReadable() || event.isReadClosed()) && input.readingWanted()) {
            input.readSome();
        }
        if (!outbound.isEmpty() && state != State.CLOSED && writable && channel.isReady()) {
            output.sendPending();
        }
        updateInterest();
    }

    /** End of stream from the peer. */
    void peerEnded() {
        ConnectionClosing.peerEnded(this);
    }

    /** Pending bytes fell to the low watermark after passing the high one: read again, tell the handler. */
    void belowLowWatermark() {
        resumeAfterPause();
        if (state == State.OPEN) {
            call(Callback.WRITABLE, null);
        }
    }

    /** Reading may go on again (a pause, the high watermark, offloaded work's bound ended). */
    void resumeAfterPause() {
        updateInterest();
        // The data that made us pause may already be in the socket with no new edge to come: read now.
        input.continueLater();
    }

    /** Everything written after a shutdown or close was asked: send the end of stream. */
    void outputDone() {
        ConnectionClosing.outputDone(this);
    }

    void updateInterest() {
        if (state == State.CLOSED) {
            return;
        }
        boolean read = input.readingWanted();
        // Application bytes wait for a layer's setup; the layer's own bytes (handshake, alerts) do not.
        boolean write = (!outbound.isEmpty() && channel.isReady()) || channel.hasBufferedOutput();
        Interest desired = read ? (write ? READ_WRITE : READ) : (write ? WRITE : null);
        // With nothing to wait for, the old interest stays: a spurious event is harmless, and a
        // registration cannot be empty.
        if (desired == null || desired == interest) {
            return;
        }
        try {
            loop.reregister(token, desired);
            interest = desired;
        } catch (IOException | RuntimeException e) {
            closeNow(CloseReason.IO_ERROR, e instanceof IOException io ? io : new IOException(e));
        }
    }

    /**
     * The one way handler code is called. Whatever it throws, {@link Error}s included, closes this
     * connection only, with {@link CloseReason#HANDLER_ERROR}.
     *
     * @return true if the connection is still open afterwards
     */
    boolean call(Callback callback, ByteBuffer data) {
        try {
            switch (callback) {
                case CREATE -> {
                    handler = factory.create(connection);
                    factory = null;
                    if (handler == null) {
                        throw new IllegalStateException("the handler factory of " + owner.role() + " '" + owner.name() + "' returned null");
                    }
                    framed = handler instanceof FrameReader reader ? reader : null;
                }
                case OPEN -> handler.onOpen(connection);
                case DATA -> handler.onData(connection, data);
                case READ_CLOSED -> handler.onReadClosed(connection);
                case WRITABLE -> handler.onWritable(connection);
                case CLOSE -> handler.onClose(connection, closeReason);
            }
        } catch (Throwable e) {
            handlerFailed(e, state == State.CLOSED ? "onClose" : "handler");
        }
        return state != State.CLOSED;
    }

    /**
     * Application code of this connection threw ({@code what}: the handler, a reply, a body): counted,
     * logged, and the connection closed with {@link CloseReason#HANDLER_ERROR} unless it is already.
     */
    void handlerFailed(Throwable error, String what) {
        counters.handlerErrors++;
        runtime.recordHandlerError(error);
        if (state == State.CLOSED) {
            log.warn(what + " of " + owner.role() + " '" + owner.name() + "' threw on connection " + id, error);
        } else {
            log.warn(what + " of " + owner.role() + " '" + owner.name() + "' threw on connection " + id + "; closing it", error);
            closeNow(CloseReason.HANDLER_ERROR, null);
        }
    }

    /** Closes at once with a reset: see {@link ConnectionClosing#abort}. */
    void abort(CloseReason reason) {
        ConnectionClosing.abort(this, reason);
    }

    /** Closes at once (no bytes wait, no linger): see {@link ConnectionClosing#closeNow}. */
    void closeNow(CloseReason reason, IOException cause) {
        ConnectionClosing.closeNow(this, reason, cause);
    }
}
