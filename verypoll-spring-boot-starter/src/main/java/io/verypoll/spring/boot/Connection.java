package io.verypoll.spring.boot;

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
 */
public final class Connection {

    private static final Log log = LogFactory.getLog(Connection.class);

    /** Reads per readiness event before yielding to other connections of the loop. */
    private static final int MAX_READS_PER_EVENT = 16;

    private static final Interest READ = Interest.READABLE;
    private static final Interest WRITE = Interest.WRITABLE;
    private static final Interest READ_WRITE = Interest.READABLE.add(Interest.WRITABLE);

    private final StreamServer server;
    private final PollLoop loop;
    private final StreamChannel channel;
    private final long id;
    private final ServerSettings settings;
    private final ServerCounters.Stripe counters;
    private final IdleTimer idleTimer = new IdleTimer();
    private final Runnable continueReading = this::continueReading;
    private final EventHandler eventHandler = this::onEvent;

    private ConnectionHandler handler;
    private Token token;
    private Interest interest;
    private PendingOutput pending;
    private long pendingBytes;
    private long lastActivityNanos;
    private boolean open;
    private boolean watermarkPaused;
    private boolean userPaused;
    private boolean readClosed;
    private boolean outputShutdownRequested;
    private boolean outputShut;
    private boolean closing;
    /** Shutting down with bytes in flight: input is read and discarded until the peer closes. */
    private boolean draining;
    private CloseReason closingReason;
    private CloseReason closeReason;
    private Object attachment;

    /** Position in the server's per-loop connection list, -1 when not in it. */
    int listIndex = -1;

    Connection(StreamServer server, PollLoop loop, StreamChannel channel, long id, ServerCounters.Stripe counters) {
        this.server = server;
        this.loop = loop;
        this.channel = channel;
        this.id = id;
        this.settings = server.settings();
        this.counters = counters;
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

    public boolean isOpen() {
        return open;
    }

    /** False once pending bytes passed the high watermark, until they fall to the low watermark. */
    public boolean isWritable() {
        return open && !closing && !outputShutdownRequested && pendingBytes <= settings.highWatermark();
    }

    /** Bytes written by the application but not yet taken by the socket. */
    public long pendingBytes() {
        return pendingBytes;
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
     * can take it. Returns {@link #isWritable()} afterwards (false: slow down). Writing to a closed or
     * closing connection is ignored and returns false.
     */
    public boolean write(ByteBuffer src) {
        checkLoop();
        if (!open || closing || outputShutdownRequested) {
            return false;
        }
        if (!src.hasRemaining()) {
            return isWritable();
        }
        if (pendingBytes == 0) {
            int n;
            try {
                n = channel.write(src);
            } catch (IOException e) {
                closeNow(CloseReason.IO_ERROR, e);
                return false;
            }
            if (n > 0) {
                counters.bytesSent += n;
                lastActivityNanos = loop.now();
            }
            if (!src.hasRemaining()) {
                return true;
            }
        }
        int rest = src.remaining();
        if (pendingBytes + rest > settings.maxPendingBytes()) {
            log.debug("connection " + id + " of " + server.name() + " passed max-pending-bytes ("
                    + settings.maxPendingBytes() + "); closing");
            closeNow(CloseReason.PENDING_CAP, null);
            return false;
        }
        if (pending == null) {
            pending = new PendingOutput();
        }
        pending.append(src);
        setPendingBytes(pendingBytes + rest);
        if (pendingBytes > settings.highWatermark()) {
            watermarkPaused = true;
        }
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
        if (!open || outputShutdownRequested) {
            return;
        }
        outputShutdownRequested = true;
        if (pendingBytes == 0) {
            finishOutput();
        }
    }

    /** Closes after the pending bytes are written; reads stop now. */
    public void close() {
        checkLoop();
        closeGracefully(readClosed ? CloseReason.PEER_CLOSED : CloseReason.LOCAL);
    }

    /** Closes at once; pending bytes are dropped. */
    public void closeNow() {
        checkLoop();
        closeNow(CloseReason.LOCAL, null);
    }

    @Override
    public String toString() {
        return "Connection{server=" + server.name() + ", id=" + id + ", loop=" + loop.index() + ", open=" + open + "}";
    }

    // ---------------------------------------------------------------- loop side

    /** Runs on the connection's loop right after accept. */
    void open(ConnectionHandlerFactory factory) {
        try {
            token = loop.register(channel.source(), READ, eventHandler);
        } catch (IOException | RuntimeException e) {
            log.debug("could not register accepted connection of " + server.name(), e);
            closeChannelQuietly();
            server.connectionAbandoned();
            return;
        }
        interest = READ;
        open = true;
        lastActivityNanos = loop.now();
        server.connectionOpened(this);
        armIdleTimer(lastActivityNanos);
        try {
            handler = factory.create(this);
            if (handler == null) {
                throw new IllegalStateException("the handler factory of server '" + server.name() + "' returned null");
            }
            handler.onOpen(this);
        } catch (Exception | LinkageError | AssertionError e) {
            handlerFailed(e);
        }
    }

    /**
     * Graceful shutdown of the application. A connection with nothing to send closes now. One with
     * bytes in flight sends them, then its end of stream, and closes when the peer closes too.
     * Meanwhile it reads and discards what the peer still sends: closing a socket with unread input
     * makes the kernel send a reset and throw away output not yet transmitted, the very bytes being
     * drained.
     */
    void shutdownGracefully() {
        if (!open) {
            return;
        }
        if (pendingBytes == 0) {
            closeNow(CloseReason.SHUTDOWN, null);
            return;
        }
        draining = true;
        outputShutdownRequested = true;
        updateInterest();
        loop.runLater(continueReading);
    }

    /** At the shutdown timeout: bytes still unsent are lost and the close counts as forced. */
    boolean forceClose() {
        boolean forced = pendingBytes > 0;
        closeNow(forced ? CloseReason.SHUTDOWN_FORCED : CloseReason.SHUTDOWN, null);
        return forced;
    }

    private void checkLoop() {
        if (!loop.inLoop()) {
            throw new IllegalStateException("connection " + id + " of server '" + server.name()
                    + "' must be used on its loop thread " + loop.threadName() + "; use connection.execute(...)");
        }
    }

    private boolean readingWanted() {
        if (draining) {
            return open && !readClosed;
        }
        return open && !closing && !readClosed && !watermarkPaused && !userPaused;
    }

    private void onEvent(Event event) {
        if (!open) {
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
        if (open && pendingBytes > 0 && (event.isWritable() || event.isWriteClosed())) {
            flush();
        }
        if (open) {
            updateInterest();
        }
    }

    private void continueReading() {
        if (readingWanted()) {
            readSome();
            if (open) {
                updateInterest();
            }
        }
    }

    private void readSome() {
        ByteBuffer buffer = loop.readBuffer();
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
            lastActivityNanos = loop.now();
            if (draining) {
                if (n < 0) {
                    readClosed = true;
                    if (pendingBytes == 0) {
                        closeNow(CloseReason.SHUTDOWN, null);
                    }
                    return;
                }
                continue; // discarded: the application is shutting down
            }
            if (n < 0) {
                readClosed = true;
                try {
                    handler.onReadClosed(this);
                } catch (Exception | LinkageError | AssertionError e) {
                    handlerFailed(e);
                }
                return;
            }
            counters.bytesReceived += n;
            // verypoll's contract: a read that leaves room in the buffer drained the socket and
            // re-armed reading, so the read that would only return 0 can be skipped.
            boolean drained = buffer.hasRemaining();
            buffer.flip();
            try {
                handler.onData(this, buffer);
            } catch (Exception | LinkageError | AssertionError e) {
                handlerFailed(e);
                return;
            }
            if (drained || !readingWanted()) {
                return;
            }
        }
        // Not drained yet, and under edge semantics no new event will come: continue after the others.
        loop.runLater(continueReading);
    }

    private void flush() {
        long written;
        try {
            written = pending.flushTo(channel);
        } catch (IOException e) {
            closeNow(CloseReason.IO_ERROR, e);
            return;
        }
        if (written > 0) {
            counters.bytesSent += written;
            lastActivityNanos = loop.now();
        }
        setPendingBytes(pending.bytes());
        if (pendingBytes == 0) {
            pending = null; // an idle connection keeps no output memory
            if (closing) {
                closeNow(closingReason, null);
                return;
            }
            if (outputShutdownRequested && !outputShut) {
                finishOutput();
                if (!open) {
                    return;
                }
            }
        }
        if (watermarkPaused && pendingBytes <= settings.lowWatermark() && !draining) {
            watermarkPaused = false;
            resumeAfterPause();
            try {
                handler.onWritable(this);
            } catch (Exception | LinkageError | AssertionError e) {
                handlerFailed(e);
            }
        }
    }

    private void resumeAfterPause() {
        updateInterest();
        // The data that made us pause may already be in the socket with no new edge to come: read now.
        loop.runLater(continueReading);
    }

    private void finishOutput() {
        outputShut = true;
        try {
            channel.shutdownOutput();
        } catch (IOException e) {
            closeNow(CloseReason.IO_ERROR, e);
            return;
        }
        if (readClosed) {
            closeNow(draining ? CloseReason.SHUTDOWN : CloseReason.PEER_CLOSED, null);
        }
    }

    private void closeGracefully(CloseReason reason) {
        if (!open || closing) {
            return;
        }
        if (pendingBytes == 0) {
            closeNow(reason, null);
        } else {
            closing = true;
            closingReason = reason;
            updateInterest();
        }
    }

    private void updateInterest() {
        if (!open) {
            return;
        }
        boolean read = readingWanted();
        boolean write = pendingBytes > 0;
        Interest desired = read ? (write ? READ_WRITE : READ) : (write ? WRITE : null);
        // With nothing to wait for, the old interest stays: a spurious event is harmless, and a
        // registration cannot be empty.
        if (desired == null || desired == interest) {
            return;
        }
        try {
            loop.reregister(token.value(), token, desired);
            interest = desired;
        } catch (IOException | RuntimeException e) {
            closeNow(CloseReason.IO_ERROR, e instanceof IOException io ? io : new IOException(e));
        }
    }

    private void handlerFailed(Throwable error) {
        loop.recordHandlerError(error);
        log.warn("handler of server '" + server.name() + "' threw on connection " + id + "; closing it", error);
        closeNow(CloseReason.HANDLER_ERROR, null);
    }

    void closeNow(CloseReason reason, IOException cause) {
        if (!open) {
            return;
        }
        open = false;
        closeReason = reason;
        if (cause != null && log.isDebugEnabled()) {
            log.debug("connection " + id + " of " + server.name() + " closed: " + reason.tag(), cause);
        }
        loop.cancelTimer(idleTimer);
        try {
            loop.deregister(token.value());
        } catch (IOException | RuntimeException e) {
            log.trace("deregister on close failed", e);
        }
        // Counted before the peer can see the close, so that a client reacting to it finds the count.
        counters.closed[reason.ordinal()]++;
        closeChannelQuietly();
        pending = null;
        setPendingBytes(0);
        server.connectionClosed(this);
        if (handler != null) {
            try {
                handler.onClose(this, reason);
            } catch (Exception | LinkageError | AssertionError e) {
                loop.recordHandlerError(e);
                log.warn("onClose of server '" + server.name() + "' threw on connection " + id, e);
            }
        }
    }

    private void setPendingBytes(long value) {
        counters.pendingBytes += value - pendingBytes;
        pendingBytes = value;
    }

    private void closeChannelQuietly() {
        try {
            channel.close();
        } catch (IOException e) {
            log.trace("close failed", e);
        }
    }

    private void armIdleTimer(long fromNanos) {
        if (!settings.idleTimeout().isZero()) {
            loop.armTimer(idleTimer, fromNanos + settings.idleTimeout().toNanos());
        }
    }

    /** One reusable timer per connection; it re-arms itself from the last activity instead of per I/O. */
    private final class IdleTimer extends LoopTimer {
        @Override
        void fire() {
            if (!open) {
                return;
            }
            long timeout = settings.idleTimeout().toNanos();
            long quiet = System.nanoTime() - lastActivityNanos;
            if (quiet >= timeout) {
                closeNow(CloseReason.IDLE_TIMEOUT, null);
            } else {
                armIdleTimer(lastActivityNanos);
            }
        }
    }
}
