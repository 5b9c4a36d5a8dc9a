package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.frame.FrameEncoder;
import io.verypoll.spring.boot.loop.PollLoop;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLSession;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * One stream connection, accepted by a {@link StreamServer} or opened by a {@link StreamClient}
 * ({@link #isOutbound()}), owned by one loop: both kinds are this same class, with the same handlers,
 * limits and close reasons. Its methods must be called on that loop's thread (inside handler
 * callbacks, or through {@link #execute}); they throw {@link IllegalStateException} elsewhere.
 *
 * <p>Writing tries the socket first and keeps only what it did not take: a copy for
 * {@link #write(ByteBuffer)}, the buffer itself for {@link #writeOwned}; a {@link #writeBody streamed
 * body} is pulled a chunk at a time as the socket takes it. Above the server's high
 * watermark of pending bytes the connection stops reading (so a peer that sends but does not read
 * cannot make the server buffer without bound), and reads again at the low watermark; when its copies
 * pass max-pending-bytes it is closed with {@link CloseReason#PENDING_CAP}. {@link WriteResult} says
 * which: go on, slow down, or closed.
 *
 * <p><b>The byte path.</b> Bytes in ({@link ConnectionInput}): the {@link StreamChannel} (the
 * socket, or a layer such as TLS wrapping it) → the loop's shared read buffer → the handler (on a
 * server with a decoder, the {@link FrameReader} that hands frames to the {@link MessageHandler}).
 * Bytes out ({@link ConnectionOutput}): {@link #write} → the socket at once, the rest into the
 * {@link OutboundBuffer} → the channel when it can take them; while a framed connection handles
 * the frames of one read, its writes are gathered and sent together when they are handled.
 * The states and the moves between them are the {@link ConnectionStateMachine}'s.
 *
 * <p>Blocking work goes to an executor with {@link #offload}, and its replies come back to the loop
 * in the order the work was offloaded; what the handler writes directly while replies are due waits
 * behind them, so every reply goes out in request order.
 *
 * <p>{@link #close()} is graceful: the pending bytes are sent, then the end of stream, and the
 * connection reads and discards what the peer still sends until the peer closes too (or the linger
 * timeout passes). Closing a socket that has unread input makes the kernel reset the connection and
 * throw away the bytes it has not sent yet, so this is what gets a response to a peer that is still
 * talking. {@link #closeNow()} closes at once, dropping the pending bytes (the peer sees an end of
 * stream, or a reset if it had sent bytes not read yet); {@link #abort()} always resets a TCP peer, as
 * a proxy does when its other side was reset.
 */
public final class Connection {

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

    private final ConnectionStateMachine machine;
    private final OutboundBuffer outbound;
    private Object attachment;

    /** Position in the server's per-loop connection list, -1 when not in it. */
    int listIndex = -1;

    Connection(ConnectionOwner owner, PollLoop loop, StreamChannel channel, long id, ServerCounters.Stripe counters) {
        this.machine = new ConnectionStateMachine(this, owner, loop, channel, id, counters);
        this.outbound = machine.output.pending();
    }

    // ---------------------------------------------------------------- public API

    /** A number unique within the server (or the client). */
    public long id() {
        return machine.id;
    }

    /** The server that accepted this connection; null for an outbound connection. */
    public StreamServer server() {
        return machine.owner.server();
    }

    /** The client that opened this outbound connection; null for an accepted connection. */
    public StreamClient client() {
        return machine.owner.client();
    }

    /** True for a connection this side opened (a client's), false for an accepted one. */
    public boolean isOutbound() {
        return machine.owner.client() != null;
    }

    /** The loop this connection lives on; use it to run work or timers next to the connection. */
    public PollLoop loop() {
        return machine.loop;
    }

    /**
     * The TLS session of a TLS server's or client's connection (null on a plain one): protocol, cipher
     * suite, the peer's certificates. The handshake is done before the handler opens, so it is there
     * from {@code onOpen} on.
     */
    public SSLSession sslSession() {
        return machine.channel.sslSession();
    }

    /** The host name the client asked for with TLS SNI, or null (no TLS, or no name sent). */
    public String serverName() {
        if (sslSession() instanceof ExtendedSSLSession session) {
            for (SNIServerName name : session.getRequestedServerNames()) {
                if (name instanceof SNIHostName host) {
                    return host.getAsciiName();
                }
            }
        }
        return null;
    }

    /** The ALPN protocol agreed in the TLS handshake, or null (no TLS, or none agreed). */
    public String applicationProtocol() {
        return machine.channel instanceof TlsChannel tls ? tls.applicationProtocol() : null;
    }

    /** The peer's address; behind a load balancer with the PROXY protocol, the client the header names. */
    public SocketAddress remoteAddress() {
        return machine.channel.remoteAddress();
    }

    public SocketAddress localAddress() {
        return machine.channel.localAddress();
    }

    /** True until the connection is closed (a graceful close in progress still counts as open). */
    public boolean isOpen() {
        return machine.state() != State.CLOSED;
    }

    /** True while writes are taken and pending bytes are at or below the high watermark: {@code writeStatus() == OK}. */
    public boolean isWritable() {
        return machine.state().takesWrites() && outbound.isBelowHigh();
    }

    /**
     * What a write now would answer: {@link WriteResult#OK} (go on), {@link WriteResult#SLOW_DOWN}
     * (above the high watermark, or a streamed body in progress: wait for {@code onWritable}) or
     * {@link WriteResult#CLOSED} (writes are no longer taken). Tells apart the two meanings of
     * {@link #write}'s {@code false}.
     */
    public WriteResult writeStatus() {
        return machine.output.status();
    }

    /** Bytes written by the application but not yet taken by the socket, those waiting behind offloaded replies included. */
    public long pendingBytes() {
        return outbound.bytes();
    }

    /** Why the connection was closed, or null while it is open. */
    public CloseReason closeReason() {
        return machine.closeReason();
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
        machine.loop.execute(task);
    }

    /**
     * Writes {@code src}: as much as the socket takes now, the rest is copied and sent when the socket
     * can take it. Returns {@link #isWritable()} afterwards: false means slow down or closed, which
     * {@link #writeStatus()} tells apart. Writing after {@link #shutdownOutput()} or a close is ignored
     * and returns false; copies past max-pending-bytes close the connection ({@link CloseReason#PENDING_CAP}).
     * Either way {@code src} is consumed and may be reused at once. To hand over a large buffer without
     * a copy, see {@link #writeOwned}.
     *
     * <p>On a framed connection, while the frames of one read are handled, the write is gathered
     * instead and goes out with the others when they are handled (or at {@link #flush()}): a frame
     * written back as handed over points into the read buffer until then, other bytes are copied.
     *
     * <p>While {@linkplain #offload offloaded} replies are due, the bytes are copied and wait behind
     * them (counted against max-pending-bytes like any copy, and for the watermarks), going out in the
     * batch after the reply before them: replies leave in request order.
     */
    public boolean write(ByteBuffer src) {
        checkLoop();
        return machine.output.write(src);
    }

    /**
     * Hands {@code buffer} over and writes it without copying it: what the socket does not take now is
     * queued as the buffer itself, in order with the other writes. The connection owns the buffer from
     * this call on, whatever the result: the caller must not change its content, position or limit
     * again. Hand over a {@code duplicate()} (or {@code asReadOnlyBuffer()}) to send a shared value,
     * such as a cached reply, to many connections.
     *
     * <p>Owned bytes count for the watermarks but not against max-pending-bytes, which caps the copies
     * a connection holds: a reply larger than the cap reaches a slow reader whole, while a reader that
     * stops reading is still closed by the idle timeout. In a batch (a framed connection handling a
     * read) a buffer that fits the batch's 64 KiB room is copied into its direct scratch, the copy the
     * JDK makes of a heap buffer to write it anyway; a larger one is never copied. While offloaded
     * replies are due the buffer itself waits behind them.
     *
     * @return {@link WriteResult#CLOSED} when the connection no longer takes writes (the buffer is
     *         dropped); otherwise whether to go on or slow down
     */
    public WriteResult writeOwned(ByteBuffer buffer) {
        return writeOwned(buffer, null);
    }

    /**
     * {@link #writeOwned(ByteBuffer)}, and {@code release} gets the buffer back, on this loop, once the
     * connection no longer needs it: all of it written, or dropped (the connection closed, or did not
     * take the write). Called exactly once; for pooled buffers. A release that throws is counted as a
     * handler error and logged; the connection goes on.
     */
    public WriteResult writeOwned(ByteBuffer buffer, Consumer<? super ByteBuffer> release) {
        Objects.requireNonNull(buffer, "buffer");
        checkLoop();
        return machine.output.writeOwned(buffer, release);
    }

    /**
     * Writes a body produced as it is sent: the connection asks {@code body} for its next chunk only
     * once the socket has taken the previous one, so a reply of any length reaches a slow but live
     * reader whole while holding one chunk. Replies written afterwards wait behind it, in order. Until
     * the body has been sent the connection counts as above the high watermark: it answers
     * {@link WriteResult#SLOW_DOWN}, reads no more requests, and calls {@code onWritable} once the body
     * is done and the rest drained. A reader that stops reading is closed by the idle timeout; a
     * graceful {@link #close()} sends the body first (within the idle and shutdown timeouts).
     * {@link BodySource#close()} is called once, when the body was sent or dropped. While offloaded
     * replies are due the body waits behind them (it counts as in progress meanwhile).
     *
     * @return {@link WriteResult#CLOSED} when the connection no longer takes writes (the body is closed
     *         at once); otherwise {@link WriteResult#SLOW_DOWN} while the body is in progress
     */
    public WriteResult writeBody(BodySource body) {
        Objects.requireNonNull(body, "body");
        checkLoop();
        return machine.output.writeBody(body);
    }

    /** Writes {@code bytes}; see {@link #write(ByteBuffer)}. */
    public boolean write(byte[] bytes) {
        return write(ByteBuffer.wrap(bytes));
    }

    /**
     * Writes {@code header} then {@code body} with one gathering write: a framing header goes out in
     * front of a body without copying the body into a bigger buffer. Otherwise as
     * {@link #write(ByteBuffer)}.
     */
    public boolean write(ByteBuffer header, ByteBuffer body) {
        checkLoop();
        return machine.output.write(header, body, null, machine.owner.writeBatch(machine.loop));
    }

    /**
     * Writes {@code content} as one frame of {@code encoder} (a line, a length-prefixed frame; see
     * {@link io.verypoll.spring.boot.frame.FrameEncoders}): the encoder's header, the content and its
     * trailer, with one gathering write and no copy of the content. Otherwise as {@link #write(ByteBuffer)}.
     *
     * @throws IllegalArgumentException when the encoder cannot frame the content (too long for its length field)
     */
    public boolean writeFrame(ByteBuffer content, FrameEncoder encoder) {
        checkLoop();
        WriteBatch batch = machine.owner.writeBatch(machine.loop);
        ByteBuffer header = batch.header();
        ByteBuffer trailer = batch.trailer();
        encoder.encode(content, header, trailer);
        return machine.output.write(header.flip(), content, trailer.flip(), batch);
    }

    /**
     * Takes {@code frame}, the frame being handled in {@link MessageHandler#onMessage}, to keep it
     * without a copy: returns {@code frame} itself (position and limit at its content, as handed
     * over), whose array is the caller's from now on and never written by the connection again; the
     * connection starts a new array for the input that follows. Possible for a frame that came in
     * several reads and ends the connection's own input: always for a frame whose length the decoder
     * {@linkplain io.verypoll.spring.boot.frame.FrameDecoder#expectedLength announced}, as the array
     * was made for it. Otherwise (a view of the loop's read buffer, or other input held behind it)
     * returns null: copy what must be kept.
     * <pre>{@code
     * ByteBuffer kept = connection.detachFrame(frame);
     * ByteBuffer mine = kept != null ? kept : ByteBuffer.allocate(frame.remaining()).put(frame).flip();
     * }</pre>
     */
    public ByteBuffer detachFrame(ByteBuffer frame) {
        checkLoop();
        FrameReader framed = machine.framed();
        return framed == null ? null : framed.detach(frame);
    }

    /**
     * Sends now what the current batch has gathered (a framed connection handling the frames of one
     * read), instead of when the batch ends. A no-op elsewhere: writes outside a batch go to the
     * socket at once. Writes waiting behind offloaded replies still wait for them.
     */
    public void flush() {
        checkLoop();
        machine.output.sendGathered();
    }

    /**
     * Runs blocking {@code work} (a query, a call to another service) off the loop, on the server's
     * offload executor, and then {@code reply} with its result on this connection's loop. Replies come
     * in the order of the {@code offload} calls, however the work completes: pipelined requests get
     * their replies in request order. Replies ready together are written as one batch. What the
     * handler writes directly ({@link #write}, {@link #writeOwned}, {@link #writeBody}) while replies
     * are due waits behind them and goes out after the reply before it, so requests answered at once
     * and offloaded ones can be mixed; a reply's own writes go out in its turn. A write that waits
     * answers as any write: {@link WriteResult#OK} while pending bytes, the waiting ones included, are
     * at or below the high watermark, {@link WriteResult#SLOW_DOWN} above it (or for a body), and
     * {@link WriteResult#CLOSED} when its copy passes max-pending-bytes (the connection closes).
     *
     * <p>At most {@code max-in-flight} (16) offloaded calls per connection are running or waiting to
     * reply: at the bound the connection stops reading, exactly as for backpressure (on a framed
     * connection no frame is lost or reordered), and reads again once a reply goes out; work offloaded
     * beyond the bound from one message starts only then.
     *
     * <p>Work that throws closes the connection ({@link CloseReason#HANDLER_ERROR}, counted and logged),
     * unless {@link #offload(Callable, OffloadReply, OffloadReply)} gives a failure reply. A graceful
     * {@link #close()} (the default when the peer ends its side) and {@link #shutdownOutput()} wait for
     * the replies still due and the writes waiting behind them, reading nothing more meanwhile; the idle
     * timeout still counts. A connection that closes first drops the late results, counted in
     * {@code verypoll.offload.dropped}, and the writes waiting (owned buffers released, bodies closed):
     * work not started never runs, running work finishes unless the shutdown timeout interrupts it.
     *
     * @return false, and the work does not run, when the connection is closing or closed
     */
    public <T> boolean offload(Callable<? extends T> work, OffloadReply<? super T> reply) {
        return offload(work, reply, null);
    }

    /**
     * {@link #offload(Callable, OffloadReply)}, and {@code onFailure} replies in its turn with what the
     * work threw (or the executor's refusal) instead of closing the connection.
     */
    public <T> boolean offload(Callable<? extends T> work, OffloadReply<? super T> reply,
                               OffloadReply<? super Throwable> onFailure) {
        Objects.requireNonNull(work, "work");
        Objects.requireNonNull(reply, "reply");
        checkLoop();
        return machine.state() == State.OPEN && machine.offloads().offload(work, reply, onFailure);
    }

    /** Work this connection offloaded and has not replied yet. */
    public int offloadsInFlight() {
        return machine.offloadsOutstanding();
    }

    /**
     * Stops reading until {@link #resumeReading()} (the application's own backpressure). On a framed
     * connection no further frame is handed over, not even one already received: called in
     * {@code onMessage}, it stops after that frame, and the frames after it are delivered in order
     * on resume.
     */
    public void pauseReading() {
        checkLoop();
        machine.pauseReading();
    }

    public void resumeReading() {
        checkLoop();
        machine.resumeReading();
    }

    /**
     * Whether reading stops while this connection's own unsent output is over the high watermark: on by
     * default, the right rule for request and response, where a peer that sends but does not read must
     * not make the server buffer its replies without bound. A connection whose input goes elsewhere
     * turns it off and bounds its output by pausing the producer instead: a {@link Relay} does, since
     * coupling the two directions of a relayed connection deadlocks it against an upstream that applies
     * the same rule (each stops reading the other).
     */
    public void pauseReadingWhenOverHigh(boolean on) {
        checkLoop();
        machine.input.followOutput(on);
        machine.resumeAfterPause();
    }

    /** Half-close: sends end of stream once pending bytes are written; reading goes on. */
    public void shutdownOutput() {
        checkLoop();
        machine.shutdownOutput();
    }

    /**
     * Closes gracefully: sends the pending bytes and the end of stream, then waits (reading and
     * discarding) for the peer to close too, at most the linger timeout. The handler gets no more
     * data.
     */
    public void close() {
        checkLoop();
        machine.close();
    }

    /** Closes at once; pending bytes are dropped, and unread input makes the peer see a reset. */
    public void closeNow() {
        checkLoop();
        machine.closeNow(CloseReason.LOCAL, null);
    }

    /**
     * Closes at once and abortively: pending bytes are dropped and a TCP peer gets a reset (RST, by
     * {@code SO_LINGER} 0) instead of an end of stream, whether or not it had sent anything unread; its
     * next read fails with "Connection reset". For TLS too (no close_notify is sent). A Unix-domain
     * socket has no reset: its peer sees an end of stream, or a reset if it had sent bytes not read yet,
     * as with {@link #closeNow()}. Counted as {@link CloseReason#LOCAL}.
     *
     * <pre>{@code
     * if (upstreamFailedAbruptly) {
     *     downstream.abort(); // the client learns it was not a clean end
     * }
     * }</pre>
     */
    public void abort() {
        checkLoop();
        machine.abort(CloseReason.LOCAL);
    }

    @Override
    public String toString() {
        return "Connection{" + machine.owner.role() + "=" + machine.owner.name() + ", id=" + machine.id + ", loop=" + machine.loop.index()
                + ", state=" + machine.state() + "}";
    }

    // ---------------------------------------------------------------- loop side

    /** Runs on the connection's loop right after accept. */
    void open(ConnectionHandlerFactory handlerFactory) {
        machine.open(handlerFactory);
    }

    /** An outbound connect failed: the handler is told with {@code onClose(reason)}; the connection never opened. */
    void connectFailed(ConnectionHandlerFactory handlerFactory, CloseReason reason) {
        machine.connectFailed(handlerFactory, reason);
    }

    /** Graceful shutdown of the application: the same as {@link #close()}, counted as a shutdown. */
    void shutdownGracefully() {
        machine.shutdownGracefully();
    }

    /** At the shutdown timeout: bytes still unsent are lost and the close counts as forced. */
    boolean forceClose() {
        return machine.forceClose();
    }

    /** The loop serving this connection failed: nothing more can be sent or read. */
    void loopFailed() {
        machine.loopFailed();
    }

    State state() {
        return machine.state();
    }

    /** "server 'name'" or "client 'name'", for messages. */
    String ownerName() {
        return machine.owner.role() + " '" + machine.owner.name() + "'";
    }

    ConnectionStateMachine machine() {
        return machine;
    }

    private void checkLoop() {
        if (!machine.loop.inLoop()) {
            throw new IllegalStateException("connection " + machine.id + " of " + ownerName()
                    + " must be used on its loop thread " + machine.loop.threadName() + "; use connection.execute(...)");
        }
    }
}
