package io.verypoll.spring.boot.server;

import java.nio.ByteBuffer;

/**
 * The application side of a stream connection (TCP or Unix). Every method runs on the connection's
 * loop thread, so a handler needs no locking for its own per-connection state.
 *
 * <p>An exception thrown from any method closes this connection only, with
 * {@link CloseReason#HANDLER_ERROR}, and is counted in {@code verypoll.handler.errors}.
 */
public interface ConnectionHandler {

    /** The connection is registered and may be written to. */
    default void onOpen(Connection connection) throws Exception {
    }

    /**
     * Bytes arrived. {@code data} is the loop's shared read buffer: it is only valid until this method
     * returns, so copy what must be kept. Writing it back with {@link Connection#write} is fine.
     */
    void onData(Connection connection, ByteBuffer data) throws Exception;

    /**
     * The peer shut down its sending side (end of stream). The default closes the connection once the
     * bytes already written have been sent; override to keep writing on a half-closed connection.
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
