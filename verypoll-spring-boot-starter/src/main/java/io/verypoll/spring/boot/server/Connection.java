package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.EventHandler;
import io.verypoll.spring.boot.loop.LoopRuntime;
import io.verypoll.spring.boot.loop.LoopTimer;
import io.verypoll.spring.boot.loop.PollLoop;
import io.verypoll.Event;
import io.verypoll.Interest;
import io.verypoll.Token;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;

/**
 * One accepted stream connection, owned by one loop. Its methods must be called on that loop's thread
 * (inside handler callbacks, or through {@link #execute}); they throw {@link IllegalStateException}
 * elsewhere.
 *
 * <p>Writing tries the socket first and keeps only what it did not take. Above the server's high
 * watermark of pending bytes the connection stops reading (so a peer that sends but does not read
 * cannot make the server buffer without bound), and reads again at the low watermark; above
 * max-pending-bytes it is closed with {@link CloseReason#PENDING_CAP}.
 *
 * <p><b>The byte path.</b> Bytes in: the {@link StreamChannel} (the socket, or a layer such as TLS
 * wrapping it) → the loop's shared read buffer → the handler (a frame decoder is a handler that wraps
 * the application's). Bytes out: {@link #write} → the socket at once, the rest into the
 * {@link OutboundBuffer} → the channel when it can take them.
 *
 * <p>{@link #close()} is graceful: the pending bytes are sent, then the end of stream, and the
 * connection reads and discards what the peer still sends until the peer closes too (or the linger
 * timeout passes). Closing a socket that has unread input makes the kernel reset the connection and
 * throw away the bytes it has not sent yet, so this is what gets a response to a peer that is still
 * talking. {@link #closeNow()} is the abortive close.
 */
public final class Connection {

    private static final Log log = LogFactory.getLog(Connection.class);

    /** Reads per readiness event before yielding to other connections of the loop. */
    private static final int MAX_READS_PER_EVENT = 16;

    private static final Interest READ = Interest.READABLE;
    private static final Interest WRITE = Interest.WRITABLE;
    private static final Interest READ_WRITE = Interest.READABLE.add(Interest.WRITABLE);

    /** Where the connection is in its life; reading pauses are separate flags. */
    enum State {
        /** Registered: reads go to the handler, writes are taken. */
        OPEN,
        /** {@link #shutdownOutput()}: pending bytes go out, then the end of stream; reads go on. */
        OUTPUT_SHUTTING,
        /** The end of stream is sent; reads go to the handler until the peer ends too. */
        OUTPUT_SHUT,
        /** {@link #close()}: pending bytes go out, then the end of stream; input is discarded. */
        CLOSING,
        /** Everything sent after a close; input is discarded until the peer ends or the linger timeout. */
        LINGERING,
        CLOSED;

        boolean takesWrites() {
            return this == OPEN;
        }

        /** The handler gets the input; otherwise it is read and discarded. */
        boolean deliversInput() {
            return this == OPEN || this == OUTPUT_SHUTTING || this == OUTPUT_SHUT;
        }
    }

    /** The handler callbacks, all made through {@link #call}. */
    private enum Callback { CREATE, OPEN, DATA, READ_CLOSED, WRITABLE, CLOSE }

    private final StreamServer server;
    private final PollLoop loop;
    private final LoopRuntime runtime;
    private final StreamChannel channel;
    private final long id;
    private final ServerSettings settings;
    private final ServerCounters.Stripe counters;
    private final OutboundBuffer outbound;
    private final ConnectionTimer timer = new ConnectionTimer();
    private final Runnable continueReading = this::continueReading;
    private final EventHandler eventHandler = this::onEvent;

    private ConnectionHandlerFactory factory;
    private ConnectionHandler handler;
    private Token token;
    private Interest interest;
    private State state = State.OPEN;
    private boolean readClosed;
    private boolean userPaused;
    /** Last useful I/O: bytes to or from the handler. What the idle timeout measures. */
    private long lastActivityNanos;
    /** Last bytes read, discarded ones included: what ends lingering once the peer falls quiet. */
    private long lastInputNanos;
    /** Set when the connection is asked to close: the reason it closes with when all went well. */
    private CloseReason closingReason;
    private CloseReason closeReason;
    private Object attachment;

    /** Position in the server's per-loop connection list, -1 when not in it. */
    int listIndex = -1;

    Connection(StreamServer server, PollLoop loop, StreamChannel channel, long id, ServerCounters.Stripe counters) {
        this.server = server;
        this.loop = loop;
        this.runtime = loop.runtime();
        this.channel = channel;
        this.id = id;
        this.settings = server.settings();
        this.counters = counters;
        this.outbound = new OutboundBuffer(settings.lowWatermark(), settings.highWatermark(), settings.maxPendingBytes());
    }

    // ---------------------------------------------------------------- public API

    /** A number unique within the server. */
    public long id() {
        return id;
    }

    public StreamServer server() {
        return server;
    }

    /** The loop this connection lives on; use it to run work or timers next to the connection. */
    public PollLoop loop() {
        return loop;
    }

    public SocketAddress remoteAddress() {
        return channel.remoteAddress();
    }

    public SocketAddress localAddress() {
        return channel.localAddress();
    }

    /** True until the connection is closed (a graceful close in progress still counts as open). */
    public boolean isOpen() {
        return state != State.CLOSED;
    }

    /** True while writes are taken and pending bytes are at or below the high watermark. */
    public boolean isWritable() {
        return state.takesWrites() && outbound.isBelowHigh();
    }

    /** Bytes written by the application but not yet taken by the socket. */
    public long pendingBytes() {
        return outbound.bytes();
    }

    /** Why the connection was closed, or null while it is open. */
    public CloseReason closeReason() {
        return closeReason;
    }

    public Object attachment() {
        return attachment;
    }

    public void attach(Object value) {
        checkLoop();
        attachment = value;
    }

    /** Runs {@code task} on this connection's loop: how other threads and loops talk to it. */
    public void execute(Runnable task) {
        loop.execute(task);
    }

    /**
     * Writes {@code src}: as much as the socket takes now, the rest is kept and sent when the socket
     * can take it. Returns {@link #isWritable()} afterwards (false: slow down). Writing after
     * {@link #shutdownOutput()} or a close is ignored and returns false.
     */
    public boolean write(ByteBuffer src) {
        checkLoop();
        if (!state.takesWrites()) {
            return false;
        }
        if (!src.hasRemaining()) {
            return isWritable();
        }
        if (outbound.isEmpty()) {
            int n;
            try {
                n = channel.write(src);
            } catch (IOException e) {
                closeNow(CloseReason.IO_ERROR, e);
                return false;
            }
            if (n > 0) {
                counters.bytesSent += n;
                lastActivityNanos = runtime.now();
            }
            if (!src.hasRemaining()) {
                return true;
            }
        }
        if (outbound.wouldExceedCap(src.remaining())) {
            log.debug("connection " + id + " of " + server.name() + " passed max-pending-bytes ("
                    + settings.maxPendingBytes() + "); closing");
            closeNow(CloseReason.PENDING_CAP, null);
            return false;
        }
        long before = outbound.bytes();
        outbound.append(src);
        counters.pendingBytes += outbound.bytes() - before;
        updateInterest();
        return isWritable();
    }

    /** Writes {@code bytes}; see {@link #write(ByteBuffer)}. */
    public boolean write(byte[] bytes) {
        return write(ByteBuffer.wrap(bytes));
    }

    /** Stops reading until {@link #resumeReading()} (the application's own backpressure). */
    public void pauseReading() {
        checkLoop();
        userPaused = true;
        updateInterest();
    }

    public void resumeReading() {
        checkLoop();
        if (userPaused) {
            userPaused = false;
            resumeAfterPause();
        }
    }

    /** Half-close: sends end of stream once pending bytes are written; reading goes on. */
    public void shutdownOutput() {
        checkLoop();
        if (state != State.OPEN) {
            return;
        }
        state = State.OUTPUT_SHUTTING;
        if (outbound.isEmpty()) {
            outputDone();
        }
    }

    /**
     * Closes gracefully: sends the pending bytes and the end of stream, then waits (reading and
     * discarding) for the peer to close too, at most the linger timeout. The handler gets no more
     * data.
     */
    public void close() {
        checkLoop();
        beginClose(readClosed ? CloseReason.PEER_CLOSED : CloseReason.LOCAL);
    }

    /** Closes at once; pending bytes are dropped, and unread input makes the peer see a reset. */
    public void closeNow() {
        checkLoop();
        closeNow(CloseReason.LOCAL, null);
    }

    @Override
    public String toString() {
        return "Connection{server=" + server.name() + ", id=" + id + ", loop=" + loop.index() + ", state=" + state + "}";
    }

    // ---------------------------------------------------------------- loop side

    /** Runs on the connection's loop right after accept. */
    void open(ConnectionHandlerFactory handlerFactory) {
        try {
            token = loop.register(channel.source(), READ, eventHandler);
        } catch (IOException | RuntimeException e) {
            log.debug("could not register accepted connection of " + server.name(), e);
            state = State.CLOSED;
            closeChannelQuietly();
            server.connectionAbandoned();
            return;
        }
        interest = READ;
        lastActivityNanos = runtime.now();
        server.connectionOpened(this);
        armIdleTimer();
        factory = handlerFactory;
        if (call(Callback.CREATE, null)) {
            call(Callback.OPEN, null);
        }
    }

    /** Graceful shutdown of the application: the same as {@link #close()}, counted as a shutdown. */
    void shutdownGracefully() {
        beginClose(CloseReason.SHUTDOWN);
    }

    /** At the shutdown timeout: bytes still unsent are lost and the close counts as forced. */
    boolean forceClose() {
        boolean forced = !outbound.isEmpty();
        closeNow(forced ? CloseReason.SHUTDOWN_FORCED : CloseReason.SHUTDOWN, null);
        return forced;
    }

    /** The loop serving this connection failed: nothing more can be sent or read. */
    void loopFailed() {
        closeNow(CloseReason.LOOP_FAILED, null);
    }

    State state() {
        return state;
    }

    private void checkLoop() {
        if (!loop.inLoop()) {
            throw new IllegalStateException("connection " + id + " of server '" + server.name()
                    + "' must be used on its loop thread " + loop.threadName() + "; use connection.execute(...)");
        }
    }

    private boolean readingWanted() {
        if (readClosed || state == State.CLOSED) {
            return false;
        }
        // Input of a closing connection is discarded whatever the pauses say: it must not pile up.
        return !state.deliversInput() || (!outbound.isOverHigh() && !userPaused);
    }

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
        if ((event.isReadable() || event.isReadClosed()) && readingWanted()) {
            readSome();
        }
        if (!outbound.isEmpty() && state != State.CLOSED && (event.isWritable() || event.isWriteClosed())) {
            flush();
        }
        updateInterest();
    }

    private void continueReading() {
        if (readingWanted()) {
            readSome();
            updateInterest();
        }
    }

    private void readSome() {
        ByteBuffer buffer = runtime.readBuffer();
        for (int i = 0; i < MAX_READS_PER_EVENT; i++) {
            buffer.clear();
            int n;
            try {
                n = channel.read(buffer);
            } catch (IOException e) {
                closeNow(CloseReason.IO_ERROR, e);
                return;
            }
            if (n == 0) {
                return; // would block: reading is armed again
            }
            if (n < 0) {
                peerEnded();
                return;
            }
            lastInputNanos = runtime.now();
            // verypoll's contract: a read that leaves room in the buffer drained the socket and
            // re-armed reading, so the read that would only return 0 can be skipped.
            boolean drained = buffer.hasRemaining();
            if (state.deliversInput()) {
                counters.bytesReceived += n;
                lastActivityNanos = runtime.now();
                buffer.flip();
                if (!call(Callback.DATA, buffer)) {
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

    /** End of stream from the peer. */
    private void peerEnded() {
        readClosed = true;
        switch (state) {
            case OPEN, OUTPUT_SHUTTING -> call(Callback.READ_CLOSED, null);
            case OUTPUT_SHUT -> {
                // Both directions are done: nothing is left to wait for.
                if (call(Callback.READ_CLOSED, null)) {
                    closeNow(CloseReason.PEER_CLOSED, null);
                }
            }
            case LINGERING -> closeNow(closingReason, null);
            default -> {
                // CLOSING: the pending bytes still go out; the close follows the end of stream.
            }
        }
    }

    private void flush() {
        long before = outbound.bytes();
        boolean wasOverHigh = outbound.isOverHigh();
        long written;
        try {
            written = outbound.flushTo(channel);
        } catch (IOException e) {
            closeNow(CloseReason.IO_ERROR, e);
            return;
        }
        counters.pendingBytes += outbound.bytes() - before;
        if (written > 0) {
            counters.bytesSent += written;
            lastActivityNanos = runtime.now();
        }
        if (outbound.isEmpty() && state != State.OPEN) {
            outputDone();
            if (state == State.CLOSED) {
                return;
            }
        }
        if (wasOverHigh && !outbound.isOverHigh()) {
            resumeAfterPause();
            if (state == State.OPEN) {
                call(Callback.WRITABLE, null);
            }
        }
    }

    private void resumeAfterPause() {
        updateInterest();
        // The data that made us pause may already be in the socket with no new edge to come: read now.
        runtime.runLater(continueReading);
    }

    /** Everything written after a shutdown or close was asked: send the end of stream. */
    private void outputDone() {
        try {
            channel.shutdownOutput();
        } catch (IOException e) {
            closeNow(CloseReason.IO_ERROR, e);
            return;
        }
        if (state == State.OUTPUT_SHUTTING) {
            state = State.OUTPUT_SHUT;
            if (readClosed) {
                closeNow(CloseReason.PEER_CLOSED, null);
            }
            return;
        }
        endOfStreamSent();
    }

    /** A closing connection has sent its end of stream: close now if the peer has ended, else linger. */
    private void endOfStreamSent() {
        // With the peer's end of stream already read no reset can happen.
        if (readClosed || settings.lingerTimeout().isZero()) {
            closeNow(closingReason, null);
            return;
        }
        state = State.LINGERING;
        lastInputNanos = runtime.now();
        timer.armForLinger();
        updateInterest();
        // Input may already wait in the socket with its edge consumed while it went to the handler.
        runtime.runLater(continueReading);
    }

    private void beginClose(CloseReason reason) {
        switch (state) {
            case OPEN, OUTPUT_SHUTTING -> {
                state = State.CLOSING;
                closingReason = reason;
                if (outbound.isEmpty()) {
                    outputDone();
                } else {
                    updateInterest();
                    runtime.runLater(continueReading); // discard what the paused reader left unread
                }
            }
            case OUTPUT_SHUT -> {
                state = State.CLOSING;
                closingReason = reason;
                endOfStreamSent();
            }
            default -> {
                // Closing or closed already.
            }
        }
    }

    private void updateInterest() {
        if (state == State.CLOSED) {
            return;
        }
        boolean read = readingWanted();
        boolean write = !outbound.isEmpty();
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
    private boolean call(Callback callback, ByteBuffer data) {
        try {
            switch (callback) {
                case CREATE -> {
                    handler = factory.create(this);
                    factory = null;
                    if (handler == null) {
                        throw new IllegalStateException("the handler factory of server '" + server.name() + "' returned null");
                    }
                }
                case OPEN -> handler.onOpen(this);
                case DATA -> handler.onData(this, data);
                case READ_CLOSED -> handler.onReadClosed(this);
                case WRITABLE -> handler.onWritable(this);
                case CLOSE -> handler.onClose(this, closeReason);
            }
        } catch (Throwable e) {
            counters.handlerErrors++;
            runtime.recordHandlerError(e);
            if (state == State.CLOSED) {
                log.warn("onClose of server '" + server.name() + "' threw on connection " + id, e);
            } else {
                log.warn("handler of server '" + server.name() + "' threw on connection " + id + "; closing it", e);
                closeNow(CloseReason.HANDLER_ERROR, null);
            }
        }
        return state != State.CLOSED;
    }

    void closeNow(CloseReason reason, IOException cause) {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        closeReason = reason;
        if (cause != null && log.isDebugEnabled()) {
            log.debug("connection " + id + " of " + server.name() + " closed: " + reason.tag(), cause);
        }
        runtime.cancelTimer(timer);
        try {
            loop.deregister(token);
        } catch (IOException | RuntimeException e) {
            log.trace("deregister on close failed", e);
        }
        // Counted before the peer can see the close, so that a client reacting to it finds the count.
        counters.closed[reason.ordinal()]++;
        closeChannelQuietly();
        counters.pendingBytes -= outbound.clear();
        server.connectionClosed(this);
        if (handler != null) {
            call(Callback.CLOSE, null);
        }
    }

    private void closeChannelQuietly() {
        try {
            channel.close();
        } catch (IOException e) {
            log.trace("close failed", e);
        }
    }

    private void armIdleTimer() {
        if (!settings.idleTimeout().isZero()) {
            runtime.armTimer(timer, lastActivityNanos + settings.idleTimeout().toNanos());
        }
    }

    /**
     * One reusable timer per connection, re-armed from the last activity instead of per I/O. Open, it
     * is the idle timeout. Lingering, it closes once the peer has been quiet for the linger timeout
     * (the normal end: a peer that says nothing more cannot make the close reset), or, for a peer that
     * keeps sending after the end of stream, at the idle timeout counted from the last useful I/O.
     */
    private final class ConnectionTimer extends LoopTimer {

        void armForLinger() {
            long quietEnd = lastInputNanos + settings.lingerTimeout().toNanos();
            long deadline = settings.idleTimeout().isZero() ? quietEnd
                    : Math.min(quietEnd, lastActivityNanos + settings.idleTimeout().toNanos());
            runtime.armTimer(this, deadline);
        }

        @Override
        protected void fire() {
            long now = System.nanoTime();
            switch (state) {
                case CLOSED -> {
                }
                case LINGERING -> {
                    if (now - lastInputNanos >= settings.lingerTimeout().toNanos()) {
                        closeNow(closingReason, null);
                    } else if (!settings.idleTimeout().isZero()
                            && now - lastActivityNanos >= settings.idleTimeout().toNanos()) {
                        closeNow(CloseReason.LINGER_TIMEOUT, null);
                    } else {
                        armForLinger();
                    }
                }
                default -> {
                    if (now - lastActivityNanos >= settings.idleTimeout().toNanos()) {
                        closeNow(CloseReason.IDLE_TIMEOUT, null);
                    } else {
                        armIdleTimer();
                    }
                }
            }
        }
    }
}
