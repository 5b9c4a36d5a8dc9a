package io.verypoll.spring.boot.server;

import io.verypoll.Source;
import io.verypoll.spring.boot.loop.LoopRuntime;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.RejectedExecutionException;

/**
 * TLS on a connection's wire, driven on its loop: an {@link SSLEngine} between the socket (or the
 * PROXY layer) below and the connection's plaintext above. Reads take ciphertext into the loop's
 * shared packet buffer and unwrap it into the caller's buffer; writes wrap into the loop's other
 * packet buffer and send at once. Only what the socket leaves (the tail of a record not yet
 * received, ciphertext not yet taken) is kept per connection, in a buffer dropped when it empties:
 * an idle connection holds its engine alone.
 *
 * <p>The handshake runs inside reads: the connection reads until {@link #isReady()}, and its writes
 * wait (return 0) until then. Delegated tasks run on the context's executor; the connection neither
 * reads nor writes meanwhile and goes on through {@link #resumeWith} once they are done. Closing
 * sends {@code close_notify} before the socket's end of stream; the peer's {@code close_notify} is
 * the end of stream read. A renegotiation (TLS 1.2) is refused: the connection fails. Works the same
 * in client mode (the engine then starts with a wrap, at the first read).
 */
final class TlsChannel implements StreamChannel {

    /** What the engine wraps when only it has something to say (handshake, close_notify, alerts). */
    static final ByteBuffer[] NOTHING = {ByteBuffer.allocate(0)};
    /** Engine steps per call at most: a guard against an engine that stops making progress. */
    private static final int MAX_STEPS = 64;

    // The cold paths moved to TlsAlerts are loaded with this class, not at their first use: at EMFILE
    // loading a class can fail for want of a descriptor, and the JVM then fails that call site for
    // good (JVMS 5.4.3), so every later TLS failure would throw.
    static {
        TlsAlerts.load();
    }

    /** Where the channel is. */
    private enum Phase {
        /** Handshaking on the loop. */
        HANDSHAKING,
        /** A delegated task runs elsewhere: nothing is read or written until it is done. */
        TASK,
        /** Handshake done: application bytes flow. */
        OPEN,
        /** Failed or closed: nothing more. */
        DONE
    }

    private final StreamChannel inner;
    private final SSLEngine engine;
    private final TlsContext context;
    private final TlsContext.Buffers buffers;
    private final TlsDelegatedTasks tasks;
    private Runnable resume;
    private Phase phase = Phase.HANDSHAKING;
    /** Ciphertext read and not yet unwrapped (read mode), null when none. */
    private ByteBuffer inStash;
    /** Ciphertext wrapped and not yet taken by the socket. */
    private final PendingCiphertext pending = new PendingCiphertext();
    /** The last read of the socket filled the packet buffer: more may wait there. */
    private boolean socketFull;
    /** The last unwrap stopped because the caller's buffer was full. */
    private boolean dstFull;
    /** The end of stream goes to the socket once the close_notify in {@link #pending} is out. */
    private boolean shutdownPending;
    /** Client mode: the ClientHello is still to go out, at the first read. */
    private boolean helloPending;
    /** First byte the peer sent, -1 before any: tells a plaintext client from a failed handshake. */
    private int firstByte = -1;
    private boolean tls13;
    /** What a delegated task threw, taken over on the loop when the tasks are done. */
    private RuntimeException taskFailure;

    TlsChannel(StreamChannel inner, SSLEngine engine, TlsContext context, TlsContext.Buffers buffers,
               LoopRuntime runtime) {
        this.inner = inner;
        this.engine = engine;
        this.context = context;
        this.buffers = buffers;
        this.tasks = new TlsDelegatedTasks(engine, context.tasks(), runtime, this::tasksDone);
        if (engine.getUseClientMode()) {
            try {
                engine.beginHandshake(); // the ClientHello goes out at the first read
                helloPending = true;
            } catch (SSLException e) {
                throw new IllegalStateException("could not start the TLS handshake", e);
            }
        }
    }

    // ---------------------------------------------------------------- reading

    @Override
    public int read(ByteBuffer dst) throws IOException {
        switch (phase) {
            case TASK:
                return 0;
            case DONE:
                throw new IOException("TLS channel closed");
            default:
                break;
        }
        RuntimeException failed = taskFailure;
        if (failed != null) {
            throw fail(failed);
        }
        helloPending = false;
        if (engine.isInboundDone()) {
            if (phase == Phase.OPEN) {
                return -1;
            }
            throw handshakeEnded(); // a delegated task failed: the engine closed itself
        }
        ByteBuffer net = buffers.netIn.clear();
        ByteBuffer spare = inStash;
        if (spare != null) {
            net.put(spare);
            inStash = null;
        }
        boolean eof = false;
        socketFull = false;
        dstFull = false;
        if (net.hasRemaining()) {
            int before = net.position();
            int n = inner.read(net);
            if (n < 0) {
                eof = true;
            } else if (n > 0) {
                if (firstByte < 0) {
                    firstByte = net.get(before) & 0xff;
                }
                socketFull = !net.hasRemaining();
            }
        }
        net.flip();
        int start = dst.position();
        try {
            process(net, dst);
        } catch (SSLException | RuntimeException e) {
            throw fail(e);
        }
        if (net.hasRemaining() && phase != Phase.DONE) {
            keepInput(net, spare);
        }
        int produced = dst.position() - start;
        if (produced > 0) {
            return produced;
        }
        if (phase == Phase.TASK) {
            // A task runs: it may already have failed and closed the engine, which the read after it reports.
            return 0;
        }
        if (engine.isInboundDone()) {
            if (phase == Phase.OPEN) {
                return -1;
            }
            throw handshakeEnded();
        }
        if (eof) {
            if (phase == Phase.OPEN || firstByte < 0) {
                return -1; // an end of stream without close_notify, or a connection that sent nothing
            }
            throw fail(LayerFailure.tls(TlsFailure.HANDSHAKE, "the peer closed during the TLS handshake", null));
        }
        return 0;
    }

    /** Unwraps {@code net} into {@code dst}, and does whatever else the handshake asks for meanwhile. */
    private void process(ByteBuffer net, ByteBuffer dst) throws IOException {
        for (int step = 0; step < MAX_STEPS; step++) {
            if (phase != Phase.HANDSHAKING && phase != Phase.OPEN) {
                return;
            }
            HandshakeStatus status = engine.getHandshakeStatus();
            if (status == HandshakeStatus.NEED_TASK) {
                if (phase == Phase.OPEN) {
                    TlsDelegatedTasks.runInline(engine); // TLS 1.3 after the handshake: small, rare
                } else {
                    startTasks();
                    return;
                }
                continue;
            }
            if (status == HandshakeStatus.NEED_WRAP) {
                wrapHandshake();
                continue;
            }
            if (!net.hasRemaining() && status != HandshakeStatus.NEED_UNWRAP_AGAIN) {
                return;
            }
            ByteBuffer[] dsts = buffers.one;
            dsts[0] = dst;
            SSLEngineResult result;
            try {
                result = engine.unwrap(net, dsts, 0, 1);
            } finally {
                dsts[0] = null;
            }
            handshakeMoved(result);
            switch (result.getStatus()) {
                case BUFFER_UNDERFLOW:
                    return; // the rest of the record is still on its way
                case BUFFER_OVERFLOW:
                    dstFull = true;
                    return;
                case CLOSED:
                    if (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP && !engine.isOutboundDone()) {
                        wrapHandshake(); // TLS 1.2 answers close_notify with its own
                    }
                    return;
                default:
                    if (result.bytesConsumed() == 0 && result.bytesProduced() == 0
                            && result.getHandshakeStatus() != HandshakeStatus.NEED_WRAP
                            && result.getHandshakeStatus() != HandshakeStatus.NEED_TASK) {
                        return;
                    }
            }
        }
    }

    /** After an engine call: the handshake finished, or (TLS 1.2, after it) a renegotiation began. */
    private void handshakeMoved(SSLEngineResult result) throws LayerFailure {
        HandshakeStatus status = result.getHandshakeStatus();
        if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
            return; // close_notify going out or coming in: no handshake
        }
        if (status == HandshakeStatus.FINISHED) {
            if (phase == Phase.HANDSHAKING) {
                phase = Phase.OPEN;
                tls13 = "TLSv1.3".equals(engine.getSession().getProtocol());
            }
        } else if (phase == Phase.OPEN && !tls13 && status != HandshakeStatus.NOT_HANDSHAKING) {
            throw LayerFailure.tls(TlsFailure.RENEGOTIATION, "TLS renegotiation refused", null);
        }
    }

    /**
     * The engine closed in the handshake without a word to us (a delegated task failed): its next call
     * throws what went wrong, and sends the alert.
     */
    private LayerFailure handshakeEnded() {
        TlsFailure cause;
        try {
            // The task's failure may already have been reported inside the engine: its alert says why.
            cause = TlsAlerts.sendAlert(engine, buffers.netOut, inner);
        } catch (IOException | RuntimeException e) {
            return fail(e);
        }
        return fail(LayerFailure.tls(cause, "the TLS handshake failed (alert sent)", null));
    }

    /**
     * Keeps the unprocessed tail of {@code net}, in {@code spare} when it fits. Sized by what arrived
     * (in KiB steps), not by the largest record: a peer that sends five bytes of a record and stalls
     * makes the connection hold 1 KiB, not 16.
     */
    private void keepInput(ByteBuffer net, ByteBuffer spare) {
        int rest = net.remaining();
        ByteBuffer stash = spare != null && spare.capacity() >= rest ? spare.clear()
                : ByteBuffer.allocate((rest + 1023) & ~1023);
        stash.put(net).flip();
        inStash = stash;
    }

    @Override
    public boolean hasBufferedInput() {
        if (phase != Phase.OPEN && phase != Phase.HANDSHAKING) {
            return false;
        }
        return helloPending || socketFull || dstFull || (inStash != null && holdsWholeRecord(inStash));
    }

    private static boolean holdsWholeRecord(ByteBuffer stash) {
        if (stash.remaining() < 5) {
            return false;
        }
        int p = stash.position();
        int length = ((stash.get(p + 3) & 0xff) << 8) | (stash.get(p + 4) & 0xff);
        return stash.remaining() >= 5 + length;
    }

    // ---------------------------------------------------------------- delegated tasks

    private void startTasks() throws LayerFailure {
        phase = Phase.TASK;
        try {
            tasks.start();
        } catch (RejectedExecutionException e) {
            phase = Phase.HANDSHAKING;
            throw LayerFailure.tls(TlsFailure.HANDSHAKE, "the executor refused a TLS handshake task", e);
        }
    }

    private void tasksDone() {
        if (phase != Phase.TASK) {
            return; // closed meanwhile
        }
        taskFailure = tasks.failure(); // the next read reports it
        phase = Phase.HANDSHAKING;
        if (resume != null) {
            resume.run();
        }
    }

    @Override
    public void resumeWith(Runnable action) {
        resume = action;
    }

    // ---------------------------------------------------------------- writing

    @Override
    public int write(ByteBuffer src) throws IOException {
        ByteBuffer[] srcs = buffers.one;
        srcs[0] = src;
        try {
            return (int) write(srcs, 0, 1);
        } finally {
            srcs[0] = null;
        }
    }

    @Override
    public long write(ByteBuffer[] srcs) throws IOException {
        return write(srcs, 0, srcs.length);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        if (phase != Phase.OPEN) {
            if (phase == Phase.DONE) {
                throw new IOException("TLS channel closed");
            }
            return 0; // the handshake first
        }
        if (engine.isOutboundDone()) {
            throw new IOException("TLS output already closed");
        }
        if (!pending.flush(inner)) {
            return 0;
        }
        int packet = context.packetSize();
        long consumed = 0;
        boolean more = true;
        while (more) {
            ByteBuffer net = buffers.netOut.clear();
            try {
                while (net.remaining() >= packet && hasRemaining(srcs, offset, length)) {
                    SSLEngineResult result = engine.wrap(srcs, offset, length, net);
                    consumed += result.bytesConsumed();
                    handshakeMoved(result);
                    if (result.getStatus() != SSLEngineResult.Status.OK
                            || (result.bytesConsumed() == 0 && result.bytesProduced() == 0)) {
                        more = false;
                        break;
                    }
                }
            } catch (SSLException | RuntimeException e) {
                throw fail(e);
            }
            pending.send(net.flip(), inner);
            // The socket took it all: wrap on while there is more. The caller reads a short count as a
            // full socket and waits for it to drain; a count cut short at the packet buffer's four
            // records, with the socket still empty, would wait for an event that never comes.
            more = more && pending.isEmpty() && hasRemaining(srcs, offset, length);
        }
        return consumed;
    }

    private static boolean hasRemaining(ByteBuffer[] srcs, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            if (srcs[i].hasRemaining()) {
                return true;
            }
        }
        return false;
    }

    /** Wraps what the handshake (or a close) has to send, and sends it. */
    private void wrapHandshake() throws IOException {
        ByteBuffer net = buffers.netOut.clear();
        int packet = context.packetSize();
        for (int step = 0; step < MAX_STEPS; step++) {
            SSLEngineResult result = engine.wrap(NOTHING, 0, 1, net);
            handshakeMoved(result);
            if (result.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW || net.remaining() < packet) {
                pending.send(net.flip(), inner);
                net.clear();
                if (result.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                    continue;
                }
            }
            if (result.getStatus() != SSLEngineResult.Status.OK || result.bytesProduced() == 0
                    || result.getHandshakeStatus() != HandshakeStatus.NEED_WRAP) {
                break;
            }
        }
        pending.send(net.flip(), inner);
    }

    @Override
    public boolean hasBufferedOutput() {
        return !pending.isEmpty() && phase != Phase.DONE;
    }

    @Override
    public void flushBuffered() throws IOException {
        if (pending.flush(inner) && shutdownPending) {
            shutdownPending = false;
            inner.shutdownOutput();
        }
    }

    /** Sends close_notify, then the socket's end of stream once the socket has taken it. */
    @Override
    public void shutdownOutput() throws IOException {
        if (phase == Phase.OPEN || phase == Phase.HANDSHAKING) {
            engine.closeOutbound();
            try {
                wrapHandshake();
            } catch (SSLException | RuntimeException e) {
                throw fail(e);
            }
        } // while a task runs the engine is not ours: the end of stream alone
        if (pending.isEmpty()) {
            inner.shutdownOutput();
        } else {
            shutdownPending = true;
        }
    }

    // ---------------------------------------------------------------- failure and close

    /** Marks the channel failed, sends the engine's alert if the socket takes it at once, and says why. */
    private LayerFailure fail(Exception error) {
        boolean handshaking = phase != Phase.OPEN;
        phase = Phase.DONE;
        if (error instanceof LayerFailure failure) {
            return failure;
        }
        return TlsAlerts.failed(error, handshaking, firstByte, engine, buffers.netOut, inner);
    }

    @Override
    public void close() throws IOException {
        phase = Phase.DONE;
        inStash = null;
        pending.clear();
        inner.close();
    }

    @Override
    public void resetOnClose() throws IOException {
        inner.resetOnClose();
    }

    // ---------------------------------------------------------------- the rest

    @Override
    public boolean isReady() {
        return phase == Phase.OPEN;
    }

    @Override
    public CloseReason setupTimeoutReason() {
        return inner.isReady() ? CloseReason.TLS_HANDSHAKE_TIMEOUT : inner.setupTimeoutReason();
    }

    @Override
    public SSLSession sslSession() {
        return phase == Phase.OPEN ? engine.getSession() : null;
    }

    /** The ALPN protocol agreed, or null. */
    String applicationProtocol() {
        String protocol = phase == Phase.OPEN ? engine.getApplicationProtocol() : null;
        return protocol == null || protocol.isEmpty() ? null : protocol;
    }

    @Override
    public boolean isOpen() {
        return inner.isOpen();
    }

    @Override
    public Source source() {
        return inner.source();
    }

    @Override
    public SocketAddress remoteAddress() {
        return inner.remoteAddress();
    }

    @Override
    public SocketAddress localAddress() {
        return inner.localAddress();
    }

    @Override
    public IOException takeError() {
        return inner.takeError();
    }
}
