package io.verypoll.spring.boot;

/** Why a connection was closed; the {@code reason} tag of {@code verypoll.connections.closed}. */
public enum CloseReason {
    /** The peer ended its side and the connection was then closed. */
    PEER_CLOSED("peer-closed"),
    /** The application called {@link Connection#close()} or {@link Connection#closeNow()}. */
    LOCAL("local"),
    /** No byte moved in either direction for the idle timeout. */
    IDLE_TIMEOUT("idle-timeout"),
    /** Bytes waiting for a slow peer went over the server's max-pending-bytes cap. */
    PENDING_CAP("pending-cap"),
    /** The handler threw. */
    HANDLER_ERROR("handler-error"),
    /** A read or write failed (a reset, for instance). */
    IO_ERROR("io-error"),
    /** The application shut down and the connection had nothing left to send. */
    SHUTDOWN("shutdown"),
    /** The application shut down and the connection still had bytes to send at the shutdown timeout. */
    SHUTDOWN_FORCED("shutdown-forced");

    private final String tag;

    CloseReason(String tag) {
        this.tag = tag;
    }

    /** The value used in meter tags and logs. */
    public String tag() {
        return tag;
    }
}
