package io.verypoll.spring.boot.server;

import java.nio.ByteBuffer;

/**
 * Two connections on one loop coupled into a byte pipe in both directions: the building block of a
 * proxy. What one side reads the other writes; when a side cannot take more (its pending bytes pass
 * the high watermark) the other stops reading, and reads again once it drains to the low watermark,
 * so a slow reader on either end holds back the fast one and memory stays bounded (about a
 * watermark and one read per direction). An end of stream travels across as a half-close
 * ({@link Connection#shutdownOutput()}); a normal close closes the other side gracefully (what it
 * still holds is sent first). A reset (any failed read or write, {@link CloseReason#IO_ERROR}) resets
 * the other side ({@link Connection#abort()}), as a TCP proxy does, so its peer learns the far end
 * failed abruptly rather than ended; another abnormal close (an idle timeout, a cap, a handler's error)
 * closes it at once ({@link Connection#closeNow()}). Either way what the other side still held for
 * its peer is dropped.
 * A side that opens before its partner does not read until the partner is open; a partner that
 * never opens (a failed connect) closes it.
 *
 * <p>A TCP proxy in one line, each accepted connection relayed to a new upstream connection opened
 * on the accepted connection's own loop:
 * <pre>{@code
 * @Bean
 * TcpServer proxy(TcpClient backend) {
 *     return TcpServer.builder().port(7011).handlerFactory(Relay.to(backend)).build();
 * }
 * }</pre>
 * or by hand, for two connections of one loop: {@code Relay relay = new Relay();} and give
 * {@code relay.first()} to one and {@code relay.second()} to the other. Both must live on the same
 * loop (a {@link StreamClient#connect(io.verypoll.spring.boot.loop.PollLoop, ConnectionHandlerFactory)}
 * on the other's loop).
 */
public final class Relay {

    /** For a connection accepted while the upstream client does not run: closed at once. */
    private static final ConnectionHandler NOT_RUNNING = new ConnectionHandler() {
        @Override
        public void onOpen(Connection connection) {
            connection.close();
        }

        @Override
        public void onData(Connection connection, ByteBuffer data) {
        }
    };

    private final Side first = new Side();
    private final Side second = new Side();

    public Relay() {
        first.other = second;
        second.other = first;
    }

    /**
     * A handler factory for a server: each accepted connection is relayed to a new connection of
     * {@code upstream} (a client with its link off, typically), opened on the accepted connection's loop.
     * If the upstream connect fails, or the client does not run (the application is still starting, or
     * stopping), the accepted connection is closed.
     */
    public static ConnectionHandlerFactory to(StreamClient upstream) {
        return inbound -> {
            if (!upstream.isRunning()) {
                return NOT_RUNNING; // starting (clients start after servers) or stopping: nothing to relay to
            }
            Relay relay = new Relay();
            upstream.connect(inbound.loop(), outbound -> relay.second());
            return relay.first();
        };
    }

    /** The handler of one end. */
    public ConnectionHandler first() {
        return first;
    }

    /** The handler of the other end. */
    public ConnectionHandler second() {
        return second;
    }

    /** Bytes relayed from the first end to the second so far. */
    public long firstToSecond() {
        return first.relayed;
    }

    /** Bytes relayed from the second end to the first so far. */
    public long secondToFirst() {
        return second.relayed;
    }

    private static final class Side implements ConnectionHandler {
        Side other;
        Connection connection;
        /** This end has closed (or never opened): the other has nobody to relay to. */
        boolean gone;
        long relayed;

        @Override
        public void onOpen(Connection c) {
            connection = c;
            // Its input goes to the other end, whose fill pauses it; its own output must not (see the method).
            c.pauseReadingWhenOverHigh(false);
            if (other.gone) {
                c.close();
            } else if (other.connection == null) {
                c.pauseReading(); // nothing to write to yet
            } else {
                other.connection.resumeReading();
            }
        }

        @Override
        public void onData(Connection c, ByteBuffer data) {
            relayed += data.remaining();
            Connection to = other.connection;
            if (!to.write(data) && to.writeStatus() == WriteResult.SLOW_DOWN) {
                c.pauseReading(); // until the other end drains: its onWritable resumes us
            }
        }

        @Override
        public void onWritable(Connection c) {
            Connection from = other.connection;
            if (from != null && from.isOpen()) {
                from.resumeReading();
            }
        }

        @Override
        public void onReadClosed(Connection c) {
            Connection to = other.connection;
            if (to != null && to.isOpen()) {
                to.shutdownOutput(); // the half-close travels; both ends closed once both directions ended
            } else {
                c.close();
            }
        }

        @Override
        public void onClose(Connection c, CloseReason reason) {
            gone = true;
            Connection to = other.connection;
            if (to == null || !to.isOpen()) {
                return;
            }
            switch (reason) {
                case PEER_CLOSED, LOCAL, SHUTDOWN -> to.close();
                case IO_ERROR -> to.abort(); // a reset (or a failed read or write) travels as a reset
                default -> to.closeNow();
            }
        }
    }
}
