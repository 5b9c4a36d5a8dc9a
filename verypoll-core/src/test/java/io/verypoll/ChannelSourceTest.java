package io.verypoll;

import static io.verypoll.TestUtil.READABLE;
import static io.verypoll.TestUtil.WRITABLE;
import static io.verypoll.TestUtil.anyLocalAddress;
import static io.verypoll.TestUtil.expectEvents;
import static io.verypoll.TestUtil.expectNoEvents;
import static io.verypoll.TestUtil.expected;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * ChannelSource, mio's SourceFd: any SelectableChannel as a Source. The library cannot see the
 * I/O done on channel(), so wouldBlock(direction) is what re-arms a direction.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ChannelSourceTest {

    private static final Token ID = new Token(7);

    @Test
    void ofConfiguresNonBlockingAndExposesTheChannel() throws Exception {
        Pipe pipe = Pipe.open();
        try (Pipe.SourceChannel source = pipe.source(); Pipe.SinkChannel sink = pipe.sink()) {
            assertThat(source.isBlocking()).isTrue();
            ChannelSource cs = ChannelSource.of(source);
            assertThat(cs.channel()).isSameAs(source);
            assertThat(source.isBlocking()).isFalse();
            // Non-blocking indeed: a read with nothing there returns 0 at once.
            assertThat(source.read(ByteBuffer.allocate(8))).isZero();
        }
    }

    @Test
    void readableThenWouldBlockRearms() throws Exception {
        Pipe pipe = Pipe.open();
        try (Poll poll = Poll.open(); Pipe.SourceChannel source = pipe.source(); Pipe.SinkChannel sink = pipe.sink()) {
            Events events = Events.withCapacity(8);
            ChannelSource cs = ChannelSource.of(source);
            poll.registry().register(cs, ID, Interest.READABLE);
            expectNoEvents(poll, events);

            sink.write(ByteBuffer.wrap(TestUtil.DATA1));
            expectEvents(poll, events, expected(ID, READABLE));

            // Drain through channel() without telling the source: it stays disarmed.
            ByteBuffer buf = ByteBuffer.allocate(64);
            assertThat(source.read(buf)).isEqualTo(TestUtil.DATA1.length);
            assertThat(source.read(buf.clear())).isZero();
            sink.write(ByteBuffer.wrap(TestUtil.DATA2));
            expectNoEvents(poll, events);

            // wouldBlock(READABLE) re-arms reading: the pending data is reported.
            cs.wouldBlock(Interest.READABLE);
            expectEvents(poll, events, expected(ID, READABLE));
            expectNoEvents(poll, events);
        }
    }

    @Test
    void writableThenWouldBlockRearmsWriting() throws Exception {
        try (Poll poll = Poll.open(); ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(anyLocalAddress());
            try (SocketChannel client = SocketChannel.open(listener.getLocalAddress());
                 SocketChannel peer = listener.accept()) {
                Events events = Events.withCapacity(8);
                ChannelSource cs = ChannelSource.of(client);
                poll.registry().register(cs, ID, Interest.READABLE.add(Interest.WRITABLE));
                expectEvents(poll, events, expected(ID, WRITABLE));

                // wouldBlock(READABLE) re-arms reading only: no spurious writable (mio issue 1963).
                cs.wouldBlock(Interest.READABLE);
                expectNoEvents(poll, events);

                // Fill the connection until a write would block, then say so.
                ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
                long written = 0;
                for (int i = 0; i < 10_000; i++) {
                    chunk.clear();
                    int n = client.write(chunk);
                    if (n == 0) break;
                    written += n;
                }
                assertThat(client.write(ByteBuffer.allocate(1))).as("connection should be full").isZero();
                cs.wouldBlock(Interest.WRITABLE);
                expectNoEvents(poll, events);

                // The peer drains everything: writable again.
                ByteBuffer sinkBuf = ByteBuffer.allocate(256 * 1024);
                long read = 0;
                peer.configureBlocking(true);
                while (read < written) {
                    sinkBuf.clear();
                    read += peer.read(sinkBuf);
                }
                expectEvents(poll, events, expected(ID, WRITABLE));
            }
        }
    }

    @Test
    void deregisterStopsEvents() throws Exception {
        Pipe pipe = Pipe.open();
        try (Poll poll = Poll.open(); Pipe.SourceChannel source = pipe.source(); Pipe.SinkChannel sink = pipe.sink()) {
            Events events = Events.withCapacity(8);
            ChannelSource cs = ChannelSource.of(source);
            ChannelSource sinkSource = ChannelSource.of(sink);
            poll.registry().register(cs, ID, Interest.READABLE);
            poll.registry().register(sinkSource, new Token(8), Interest.WRITABLE);
            expectEvents(poll, events, expected(new Token(8), WRITABLE));
            poll.registry().deregister(cs);
            sink.write(ByteBuffer.wrap(TestUtil.DATA1));
            expectNoEvents(poll, events);
            // wouldBlock on a deregistered source is harmless.
            cs.wouldBlock(Interest.READABLE);
            expectNoEvents(poll, events);
            poll.registry().register(cs, ID, Interest.READABLE);
            expectEvents(poll, events, expected(ID, READABLE));
        }
    }
}
