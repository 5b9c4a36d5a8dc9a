package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.frame.FrameTooLongException;

import java.nio.ByteBuffer;

/**
 * The application side of a framed stream connection: a server built with a
 * {@linkplain StreamServerBuilder#decoder(io.verypoll.spring.boot.frame.FrameDecoder) decoder} hands
 * it one complete frame at a time, in order. Every method runs on the connection's loop thread.
 *
 * <pre>{@code
 * TcpServer.builder().port(7010).decoder(FrameDecoders.lines(1024))
 *         .messageHandler((connection, line) -> connection.writeFrame(line, FrameEncoders.lines()))
 *         .build();
 * }</pre>
 *
 * <p><b>Batches.</b> The frames that one read brings are one batch: what the handler writes while
 * handling them is gathered and sent with one write when the batch ends (after
 * {@link #onBatchEnd}), so a pipelining client costs one system call per read, not one per frame.
 *
 * <p>An exception thrown from any method closes this connection only, with
 * {@link CloseReason#HANDLER_ERROR}, and is counted in {@code verypoll.handler.errors}.
 */
@FunctionalInterface
public interface MessageHandler {

    /** The connection is registered and may be written to. */
    default void onOpen(Connection connection) throws Exception {
    }

    /**
     * One complete frame: its content lies between {@code frame}'s position and limit. The buffer is
     * a view of the loop's read buffer (or, for a frame that came in several reads, of the
     * connection's own input), valid only until this method returns: copy what must be kept, or,
     * for a frame that came in several reads, take it without a copy with {@link Connection#detachFrame}.
     * Writing it back with {@link Connection#write} is fine, and costs no copy.
     */
    void onMessage(Connection connection, ByteBuffer frame) throws Exception;

    /**
     * The frames of one read have all been handled (Netty's {@code channelReadComplete}); what is
     * written here still goes out with the batch. Called only after a batch of at least one frame.
     */
    default void onBatchEnd(Connection connection) throws Exception {
    }

    /**
     * A frame is longer than max-frame-length (or the decoder's limit). The connection closes with
     * {@link CloseReason#FRAME_TOO_LONG} when this returns, gracefully: what is written here (an
     * error reply, say) is sent first. The frames before it have been delivered.
     */
    default void onFrameTooLong(Connection connection, FrameTooLongException error) throws Exception {
    }

    /**
     * The peer shut down its sending side; an incomplete frame it left is dropped. The default closes
     * the connection once the bytes already written have been sent.
     */
    default void onReadClosed(Connection connection) throws Exception {
        connection.close();
    }

    /** Pending bytes fell to the low watermark after having passed the high watermark. */
    default void onWritable(Connection connection) throws Exception {
    }

    /** The connection is closed; {@code reason} says why. Writing is no longer possible. */
    default void onClose(Connection connection, CloseReason reason) throws Exception {
    }
}
