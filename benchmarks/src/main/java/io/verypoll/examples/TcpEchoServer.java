package io.verypoll.examples;

import io.verypoll.Event;
import io.verypoll.Events;
import io.verypoll.Interest;
import io.verypoll.Poll;
import io.verypoll.Token;
import io.verypoll.Waker;
import io.verypoll.net.TcpListener;
import io.verypoll.net.TcpStream;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * A TCP echo server on verypoll-core alone: one thread, one {@link Poll}, edge semantics.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.verypoll.examples.TcpEchoServer 7000</pre>
 *
 * <p>Listens on 127.0.0.1:PORT (the last argument) and sends every byte back. The rules of the
 * event loop, which are mio's:
 * <ul>
 *   <li>a readable event means "read until the socket is drained": until {@code read} returns 0,
 *       or returns less than the buffer had room for (a short read); only then will a new readable
 *       event come (a connection that is not drained stays silent, it does not spin the loop);</li>
 *   <li>write until the data is gone or the socket takes less than offered (0 or a partial write);
 *       the next writable event says when to go on;</li>
 *   <li>each connection is registered once, readable and writable; no re-registration is ever
 *       needed.</li>
 * </ul>
 * One 64 KiB buffer is shared by all connections; a connection holds its own buffer only for
 * output the socket did not take, and reads nothing more until that is sent (backpressure).
 */
public final class TcpEchoServer implements Closeable {
    private static final Token LISTENER = new Token(0);
    private static final Token STOP = new Token(1);
    /** Connection {@code i} of {@link #connections} has the token {@code FIRST_CONNECTION + i}. */
    private static final long FIRST_CONNECTION = 2;

    private final Poll poll;
    private final TcpListener listener;
    private final Waker stopper;
    private final Events events = Events.withCapacity(1024);
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024);
    private final List<Connection> connections = new ArrayList<>(); // null: a free slot
    private final Deque<Integer> freeSlots = new ArrayDeque<>();

    private static final class Connection {
        final TcpStream stream;
        final int slot;
        ByteBuffer pending; // output the socket did not take yet, or null

        Connection(TcpStream stream, int slot) {
            this.stream = stream;
            this.slot = slot;
        }
    }

    /** Binds the listener; {@link #run()} serves. Port 0 picks a free port. */
    public TcpEchoServer(SocketAddress address) throws IOException {
        poll = Poll.open();
        listener = TcpListener.bind(address);
        poll.registry().register(listener, LISTENER, Interest.READABLE);
        stopper = new Waker(poll.registry(), STOP);
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: TcpEchoServer PORT   (listens on 127.0.0.1:PORT)");
            System.exit(64);
        }
        int port = Integer.parseInt(args[args.length - 1]);
        try (TcpEchoServer server = new TcpEchoServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
            System.out.println("TCP echo on " + server.localAddress());
            server.run();
        }
    }

    public SocketAddress localAddress() throws IOException {
        return listener.localAddress();
    }

    /** The event loop, on the calling thread, until {@link #stop()}. */
    public void run() throws IOException {
        for (;;) {
            poll.poll(events, null);
            for (int i = 0; i < events.size(); i++) { // by index: no iterator per poll
                Token token = events.get(i).token();
                if (token.equals(LISTENER)) {
                    accept();
                } else if (token.equals(STOP)) {
                    return;
                } else {
                    serve(connections.get((int) (token.value() - FIRST_CONNECTION)));
                }
            }
        }
    }

    /** Makes {@link #run()} return; from any thread. */
    public void stop() throws IOException {
        stopper.wake();
    }

    private void accept() throws IOException {
        TcpStream stream;
        while ((stream = listener.accept()) != null) { // null: would block, the listener is armed again
            int slot = freeSlots.isEmpty() ? connections.size() : freeSlots.pop();
            Connection connection = new Connection(stream, slot);
            if (slot == connections.size()) {
                connections.add(connection);
            } else {
                connections.set(slot, connection);
            }
            try {
                stream.setNodelay(true);
                poll.registry().register(stream, new Token(FIRST_CONNECTION + slot), Interest.READABLE.add(Interest.WRITABLE));
            } catch (IOException e) { // reset before we got to it
                close(connection);
            }
        }
    }

    private void serve(Connection connection) {
        if (connection == null) {
            return; // closed while handling an earlier event of this poll
        }
        try {
            if (connection.pending != null) {
                if (!writeAll(connection.stream, connection.pending)) {
                    return; // still blocked: wait for the next writable event
                }
                connection.pending = null;
            }
            echo(connection);
        } catch (IOException e) { // reset by the peer, and the like
            close(connection);
        }
    }

    /** Reads until the socket is drained, writing back what it read. */
    private void echo(Connection connection) throws IOException {
        for (;;) {
            buffer.clear();
            int n = connection.stream.read(buffer);
            if (n < 0) {
                close(connection); // the peer closed
                return;
            }
            buffer.flip();
            if (!writeAll(connection.stream, buffer)) {
                // Keep what the socket did not take and read no more until it is sent.
                connection.pending = ByteBuffer.allocate(buffer.remaining()).put(buffer).flip();
                return;
            }
            if (n < buffer.capacity()) {
                return; // 0 or a short read: drained, and the next readable event will come
            }
        }
    }

    /** Writes {@code src}: true if all of it went, false if the socket is full (writing is re-armed). */
    private static boolean writeAll(TcpStream stream, ByteBuffer src) throws IOException {
        if (src.hasRemaining()) {
            stream.write(src); // a partial write (or 0) means the socket's buffer is full
        }
        return !src.hasRemaining();
    }

    private void close(Connection connection) {
        try {
            connection.stream.close(); // also deregisters
        } catch (IOException ignored) {
            // closed anyway
        }
        connections.set(connection.slot, null);
        freeSlots.push(connection.slot);
    }

    /** Closes every connection, the listener and the poll. Call after {@link #run()} returned. */
    @Override
    public void close() throws IOException {
        for (Connection connection : connections) {
            if (connection != null) {
                connection.stream.close();
            }
        }
        connections.clear();
        listener.close();
        poll.close();
    }
}
