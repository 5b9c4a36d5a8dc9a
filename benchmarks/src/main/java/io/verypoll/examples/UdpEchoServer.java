package io.verypoll.examples;

import io.verypoll.Events;
import io.verypoll.Interest;
import io.verypoll.Poll;
import io.verypoll.Token;
import io.verypoll.Waker;
import io.verypoll.net.UdpSocket;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;

/**
 * A UDP echo server on verypoll-core alone: one thread, one {@link Poll}.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.verypoll.examples.UdpEchoServer 7001</pre>
 *
 * <p>Binds 127.0.0.1:PORT (the last argument) and sends every datagram back to its sender. On a
 * readable event it receives until {@code recvFrom} returns {@code null} (would block), as edge
 * semantics ask. A datagram the socket cannot send right now ({@code sendTo} returns 0) is
 * dropped: UDP may lose it anyway, and the sender is the one to retry.
 */
public final class UdpEchoServer implements Closeable {
    private static final Token SOCKET = new Token(0);
    private static final Token STOP = new Token(1);

    private final Poll poll;
    private final UdpSocket socket;
    private final Waker stopper;
    private final Events events = Events.withCapacity(64);
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(65536); // the largest datagram fits
    private long dropped;

    /** Binds the socket; {@link #run()} serves. Port 0 picks a free port. */
    public UdpEchoServer(SocketAddress address) throws IOException {
        poll = Poll.open();
        socket = UdpSocket.bind(address);
        poll.registry().register(socket, SOCKET, Interest.READABLE);
        stopper = new Waker(poll.registry(), STOP);
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: UdpEchoServer PORT   (binds 127.0.0.1:PORT)");
            System.exit(64);
        }
        int port = Integer.parseInt(args[args.length - 1]);
        try (UdpEchoServer server = new UdpEchoServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
            System.out.println("UDP echo on " + server.localAddress());
            server.run();
        }
    }

    public SocketAddress localAddress() throws IOException {
        return socket.localAddress();
    }

    /** Datagrams dropped because the socket would have blocked. */
    public long dropped() {
        return dropped;
    }

    /** The event loop, on the calling thread, until {@link #stop()}. */
    public void run() throws IOException {
        for (;;) {
            poll.poll(events, null);
            for (int i = 0; i < events.size(); i++) {
                if (events.get(i).token().equals(STOP)) {
                    return;
                }
                echo();
            }
        }
    }

    /** Makes {@link #run()} return; from any thread. */
    public void stop() throws IOException {
        stopper.wake();
    }

    private void echo() throws IOException {
        for (;;) {
            buffer.clear();
            SocketAddress sender = socket.recvFrom(buffer);
            if (sender == null) {
                return; // drained: the next readable event will come
            }
            buffer.flip();
            if (socket.sendTo(buffer, sender) == 0 && buffer.hasRemaining()) {
                dropped++;
            }
        }
    }

    /** Closes the socket and the poll. Call after {@link #run()} returned. */
    @Override
    public void close() throws IOException {
        socket.close();
        poll.close();
    }
}
