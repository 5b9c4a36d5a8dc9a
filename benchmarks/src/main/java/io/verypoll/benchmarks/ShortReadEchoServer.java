package io.verypoll.benchmarks;

import io.verypoll.Events;
import io.verypoll.Interest;
import io.verypoll.Poll;
import io.verypoll.Token;
import io.verypoll.ChannelSource;
import io.verypoll.net.TcpListener;
import io.verypoll.net.TcpStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * An experiment, not an example: {@link io.verypoll.examples.TcpEchoServer} minus the read that
 * returns 0. Like the C epoll reference server, it takes a read that leaves room in the buffer as
 * "drained" and re-arms reading with {@link ChannelSource#wouldBlock} instead of reading again
 * until 0. On a level-triggered selector that early re-arm is safe (data still queued is simply
 * reported by the next poll). Comparing the two servers in the echo harness measures what the
 * drain-until-0 rule costs per message; see benchmarks/README.md.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.verypoll.benchmarks.ShortReadEchoServer 7000</pre>
 */
public final class ShortReadEchoServer {
    private static final Token LISTENER = new Token(0);

    private final ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024);
    private final List<Connection> connections = new ArrayList<>();

    private static final class Connection {
        final ChannelSource source;
        final SocketChannel channel;
        ByteBuffer pending;
        boolean closed;

        Connection(SocketChannel channel) {
            this.source = ChannelSource.of(channel);
            this.channel = channel;
        }
    }

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(args[args.length - 1]);
        new ShortReadEchoServer().run(port);
    }

    private void run(int port) throws IOException {
        Poll poll = Poll.open();
        TcpListener listener = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        poll.registry().register(listener, LISTENER, Interest.READABLE);
        Events events = Events.withCapacity(1024);
        for (;;) {
            poll.poll(events, null);
            for (int i = 0; i < events.size(); i++) {
                long token = events.get(i).token().value();
                if (token == 0) {
                    TcpStream stream;
                    while ((stream = listener.accept()) != null) {
                        stream.setNodelay(true);
                        Connection c = new Connection(stream.channel());
                        connections.add(c); // never reused: fine for an experiment
                        poll.registry().register(c.source, new Token(connections.size()), Interest.READABLE.add(Interest.WRITABLE));
                    }
                } else {
                    Connection c = connections.get((int) token - 1);
                    if (!c.closed) {
                        try {
                            serve(c);
                        } catch (IOException e) {
                            c.closed = true;
                            c.channel.close();
                        }
                    }
                }
            }
        }
    }

    private void serve(Connection c) throws IOException {
        if (c.pending != null) {
            if (!writeAll(c, c.pending)) {
                return;
            }
            c.pending = null;
        }
        for (;;) {
            buffer.clear();
            int n = c.channel.read(buffer);
            if (n < 0) {
                c.closed = true;
                c.channel.close();
                return;
            }
            boolean drained = buffer.hasRemaining(); // 0 or a short read: nothing more queued
            buffer.flip();
            if (!writeAll(c, buffer)) {
                c.pending = ByteBuffer.allocate(buffer.remaining()).put(buffer).flip();
                return;
            }
            if (drained) {
                c.source.wouldBlock(Interest.READABLE);
                return;
            }
        }
    }

    private static boolean writeAll(Connection c, ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            if (c.channel.write(src) == 0) {
                c.source.wouldBlock(Interest.WRITABLE);
                return false;
            }
        }
        return true;
    }
}
