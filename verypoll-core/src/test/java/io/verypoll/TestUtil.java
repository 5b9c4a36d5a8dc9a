package io.verypoll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * Shared helpers of the core test suite, the Java counterpart of mio's {@code tests/util/mod.rs}.
 *
 * <p>Every wait here is bounded: {@link #expectEvents} polls with a bounded timeout until every
 * expected token/readiness pair was seen, {@link #expectNoEvents} does one short bounded poll,
 * and {@link #await} polls a condition until a deadline.
 */
public final class TestUtil {

    private TestUtil() {}

    // Readiness bits for ExpectedEvent, like mio's util::Readiness.
    public static final int READABLE = 1;
    public static final int WRITABLE = 1 << 1;
    public static final int ERROR = 1 << 2;
    public static final int READ_CLOSED = 1 << 3;
    public static final int WRITE_CLOSED = 1 << 4;

    /** The backend under test ("nio" or "epoll"): the suite runs against each (-Dverypoll.backend). */
    public static String backend() {
        return io.verypoll.internal.SelectedBackend.name();
    }

    /** True on the NIO backend: JDK channels behind the sources ({@code channel()}, {@code fromChannel}). */
    public static boolean nio() {
        return backend().equals("nio");
    }

    /**
     * True where the kernel's hang-up and error bits reach the events (epoll), so a reset or a
     * peer's shutdown shows in the hints of the first event; NIO hides them (a legal false negative).
     */
    public static boolean kernelHints() {
        return !nio();
    }

    /**
     * {@code channel()} of a source: non-blocking on NIO; on a backend without JDK channels an
     * {@link UnsupportedOperationException} that names the NIO backend (the documented behaviour).
     */
    public static void assertNonBlocking(java.util.function.Supplier<? extends java.nio.channels.SelectableChannel> channel) {
        if (nio()) {
            assertThat(channel.get().isBlocking()).as("non-blocking").isFalse();
        } else {
            org.assertj.core.api.Assertions.assertThatThrownBy(channel::get)
                    .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("nio backend");
        }
    }

    /**
     * A {@code fromChannel} call, which only the NIO backend can make. Elsewhere it must throw an
     * {@link UnsupportedOperationException} naming the NIO backend; {@code channel} is closed and
     * the test is skipped from there (it is about NIO's channels).
     */
    public static <T> T nioOnly(java.nio.channels.Channel channel, IoCall<T> fromChannel) throws IOException {
        if (nio()) {
            return fromChannel.call();
        }
        try (channel) {
            org.assertj.core.api.Assertions.assertThatThrownBy(fromChannel::call)
                    .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("nio backend");
        }
        org.junit.jupiter.api.Assumptions.abort("fromChannel needs the nio backend; the " + backend() + " backend says so");
        return null;
    }

    /** The backend's source behind a public one, for what the API does not offer (socket options in tests). */
    public static io.verypoll.spi.IoSource seam(Object source) {
        for (Class<?> c = source.getClass(); c != null; c = c.getSuperclass()) {
            try {
                java.lang.reflect.Field io = c.getDeclaredField("io");
                io.setAccessible(true);
                return (io.verypoll.spi.IoSource) io.get(source);
            } catch (NoSuchFieldException next) {
                // up the hierarchy
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("no backend source in " + source);
    }

    /** How long expectEvents waits for all expected events, in total. */
    public static final Duration EXPECT_EVENTS_TIMEOUT = Duration.ofSeconds(3);
    /** The single poll timeout of expectNoEvents. */
    public static final Duration NO_EVENTS_TIMEOUT = Duration.ofMillis(100);

    public static final byte[] DATA1 = "Hello world!".getBytes(StandardCharsets.US_ASCII);
    public static final byte[] DATA2 = "Hello mars!".getBytes(StandardCharsets.US_ASCII);

    /** An event expected to show up: its token, and readiness bits that must all be set. */
    public record ExpectedEvent(Token token, int readiness) {
        public boolean matches(Event e) {
            return e.token().equals(token)
                    && (!has(READABLE) || e.isReadable())
                    && (!has(WRITABLE) || e.isWritable())
                    && (!has(ERROR) || e.isError())
                    && (!has(READ_CLOSED) || e.isReadClosed())
                    && (!has(WRITE_CLOSED) || e.isWriteClosed());
        }

        private boolean has(int bit) {
            return (readiness & bit) != 0;
        }

        @Override
        public String toString() {
            List<String> names = new ArrayList<>();
            if (has(READABLE)) names.add("READABLE");
            if (has(WRITABLE)) names.add("WRITABLE");
            if (has(ERROR)) names.add("ERROR");
            if (has(READ_CLOSED)) names.add("READ_CLOSED");
            if (has(WRITE_CLOSED)) names.add("WRITE_CLOSED");
            return "ExpectedEvent(" + token + ", " + String.join(" | ", names) + ")";
        }
    }

    /** A copy of an Event that outlives the next poll. */
    public record Snapshot(Token token, boolean readable, boolean writable, boolean error,
                           boolean readClosed, boolean writeClosed, boolean priority) {
        public static Snapshot of(Event e) {
            return new Snapshot(e.token(), e.isReadable(), e.isWritable(), e.isError(),
                    e.isReadClosed(), e.isWriteClosed(), e.isPriority());
        }

        /** True when none of the hint flags is set. */
        public boolean noHints() {
            return !error && !readClosed && !writeClosed && !priority;
        }
    }

    public static ExpectedEvent expected(Token token, Interest interest) {
        int r = 0;
        if (interest.isReadable()) r |= READABLE;
        if (interest.isWritable()) r |= WRITABLE;
        return new ExpectedEvent(token, r);
    }

    public static ExpectedEvent expected(Token token, int readiness) {
        return new ExpectedEvent(token, readiness);
    }

    public static List<Snapshot> snapshot(Events events) {
        List<Snapshot> out = new ArrayList<>(events.size());
        for (int i = 0; i < events.size(); i++) {
            out.add(Snapshot.of(events.get(i)));
        }
        return out;
    }

    /**
     * Polls (500 ms at a time, {@link #EXPECT_EVENTS_TIMEOUT} in total) until every expected event
     * was seen. Other events are accepted (spurious events are legal), as in mio. Returns every
     * event seen, in order, so callers can assert more.
     */
    public static List<Snapshot> expectEvents(Poll poll, Events events, ExpectedEvent... expected)
            throws IOException {
        List<ExpectedEvent> missing = new ArrayList<>(List.of(expected));
        List<Snapshot> seen = new ArrayList<>();
        long deadline = System.nanoTime() + EXPECT_EVENTS_TIMEOUT.toNanos();
        while (!missing.isEmpty() && System.nanoTime() < deadline) {
            poll.poll(events, Duration.ofMillis(500));
            for (int i = 0; i < events.size(); i++) {
                Event e = events.get(i);
                seen.add(Snapshot.of(e));
                for (int j = 0; j < missing.size(); j++) {
                    if (missing.get(j).matches(e)) {
                        missing.remove(j);
                        break;
                    }
                }
            }
        }
        if (!missing.isEmpty()) {
            fail("the following expected events were not found: " + missing + "; seen: " + seen);
        }
        return seen;
    }

    /** One short bounded poll must return no event. */
    public static void expectNoEvents(Poll poll, Events events) throws IOException {
        poll.poll(events, NO_EVENTS_TIMEOUT);
        assertThat(snapshot(events)).as("received events, but didn't expect any").isEmpty();
    }

    /** Polls repeatedly for {@code window}: no poll may return an event. */
    public static void expectNoEventsFor(Poll poll, Events events, Duration window) throws IOException {
        long deadline = System.nanoTime() + window.toNanos();
        while (System.nanoTime() < deadline) {
            poll.poll(events, Duration.ofMillis(50));
            assertThat(snapshot(events)).as("received events, but didn't expect any").isEmpty();
        }
    }

    @FunctionalInterface
    public interface IoCall<T> {
        T call() throws IOException;
    }

    /**
     * The NIO forms of "would block": a read/write/send returning 0, accept/recvFrom returning
     * null. (UdpSocket.recv's -1 is checked by the callers themselves.)
     */
    public static void assertWouldBlock(IoCall<?> call) throws IOException {
        Object r = call.call();
        if (r == null) return;
        if (r instanceof Number n && n.longValue() == 0) return;
        fail("expected the operation to would-block (0 or null), got " + r);
    }

    /** A read into a fresh buffer must return 0 ("would block") and leave the buffer untouched. */
    public static void assertReadWouldBlock(ReadableByteChannel channel) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(64);
        assertThat(channel.read(buf)).as("read should would-block").isZero();
        assertThat(buf.position()).isZero();
    }

    /** Reads exactly the expected bytes with one read. */
    public static void expectRead(ReadableByteChannel channel, byte[] expected) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(expected.length + 16);
        int n = channel.read(buf);
        assertThat(n).as("bytes read").isEqualTo(expected.length);
        byte[] got = new byte[n];
        buf.flip().get(got);
        assertThat(got).isEqualTo(expected);
    }

    /** Polls the condition (every 5 ms) until true or the timeout, then asserts it. */
    public static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout + " waiting for: " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for: " + what);
            }
        }
    }

    /**
     * Waits (bounded) until {@code thread} is blocked inside {@code Poll.poll}'s selector call, so
     * that an action taken next happens during that poll.
     */
    public static void awaitInPoll(Thread thread) {
        await(thread.getName() + " blocked in Poll.poll", Duration.ofSeconds(5), () -> isInPoll(thread));
    }

    private static boolean isInPoll(Thread thread) {
        boolean inPoll = false;
        boolean inSelect = false;
        for (StackTraceElement f : thread.getStackTrace()) {
            if (f.getClassName().startsWith("io.verypoll.") && f.getMethodName().equals("poll")) {
                inPoll = true;
            }
            if (f.getClassName().startsWith("sun.nio.ch.")
                    && (f.getMethodName().equals("doSelect") || f.getMethodName().equals("wait")
                        || f.getMethodName().equals("poll") || f.getMethodName().equals("epollWait"))) {
                inSelect = true;
            }
            // The epoll backend blocks in a downcall whose own frames are hidden: its caller is on top.
            if (f.getClassName().startsWith("io.verypoll.epoll.") && f.getMethodName().equals("epollWait")) {
                inSelect = true;
            }
        }
        return inPoll && inSelect;
    }

    /** The number of open file descriptors of this process. */
    public static int openFds() {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return (int) s.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What each open fd points to, for failure messages. */
    public static String fdListing() {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            StringBuilder sb = new StringBuilder();
            s.sorted().forEach(p -> {
                try {
                    sb.append(p.getFileName()).append("->").append(Files.readSymbolicLink(p)).append(' ');
                } catch (IOException e) {
                    sb.append(p.getFileName()).append("->? ");
                }
            });
            return sb.toString();
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** A baseline fd count: the least of a few reads, so an unrelated transient fd is not counted in. */
    public static int baselineFds() {
        int min = openFds();
        for (int i = 0; i < 3; i++) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            min = Math.min(min, openFds());
        }
        return min;
    }

    /**
     * Asserts that the open fd count equals {@code expected}. A leaked fd stays; an unrelated fd
     * opened for an instant by another thread of the test JVM (surefire's forked-JVM ping thread
     * reads /proc now and then) goes away: so the count is re-read, bounded, for up to 1 s.
     */
    public static void assertFdCount(int expected) {
        long deadline = System.nanoTime() + 1_000_000_000L;
        int n = openFds();
        while (n != expected && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            n = openFds();
        }
        assertThat(n).as("open fds; now: %s", fdListing()).isEqualTo(expected);
    }

    public static InetSocketAddress anyLocalAddress() {
        return new InetSocketAddress("127.0.0.1", 0);
    }

    public static InetSocketAddress anyLocalIpv6Address() {
        return new InetSocketAddress("::1", 0);
    }

    /** True when the IPv6 loopback can be bound here. */
    public static boolean ipv6Available() {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(anyLocalIpv6Address());
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** An address on which nothing listens: bound once, then closed. */
    public static SocketAddress refusingAddress() throws IOException {
        try (ServerSocketChannel ch = ServerSocketChannel.open()) {
            ch.bind(anyLocalAddress());
            return ch.getLocalAddress();
        }
    }

    /** Sets SO_LINGER 0 so that close sends a RST. */
    public static void setLingerZero(Socket socket) throws IOException {
        socket.setSoLinger(true, 0);
    }

    /**
     * The same for a verypoll stream, on any backend. The API has no SO_LINGER (nor does mio's
     * TcpStream), so the test reaches the backend's source behind the public type.
     */
    public static void setLingerZero(io.verypoll.net.SocketStream stream) throws IOException {
        seam(stream).setOption(java.net.StandardSocketOptions.SO_LINGER, 0);
    }

    public static ByteBuffer buf(byte[] data) {
        return ByteBuffer.wrap(data);
    }

    /** Writes all of data with a single call, asserting no short write. */
    public static void checkedWrite(java.nio.channels.WritableByteChannel ch, byte[] data) throws IOException {
        int n = ch.write(ByteBuffer.wrap(data));
        assertThat(n).as("short write").isEqualTo(data.length);
    }

    /** Joins a thread (bounded) and rethrows what it threw. */
    public static void join(Thread t, Duration timeout) throws InterruptedException {
        t.join(timeout.toMillis());
        assertThat(t.isAlive()).as(t.getName() + " still alive after " + timeout).isFalse();
    }

    /**
     * A connected TCP connection: {@code stream} is the verypoll end (connected before this
     * returns, on any backend), {@code peer} the plain blocking NIO end.
     */
    public record TcpPair(io.verypoll.net.TcpStream stream, java.nio.channels.SocketChannel peer)
            implements AutoCloseable {
        public static TcpPair open() throws IOException {
            try (ServerSocketChannel listener = ServerSocketChannel.open()) {
                listener.bind(anyLocalAddress());
                io.verypoll.net.TcpStream stream = io.verypoll.net.TcpStream.connect(listener.getLocalAddress());
                java.nio.channels.SocketChannel peer = listener.accept();
                // The handshake is over once accept returns; the first I/O call sees it done.
                await("connected", Duration.ofSeconds(5), () -> {
                    try {
                        return stream.peerAddress() != null;
                    } catch (java.nio.channels.NotYetConnectedException | IOException e) {
                        return false;
                    }
                });
                return new TcpPair(stream, peer);
            }
        }

        @Override
        public void close() throws IOException {
            try {
                stream.close();
            } finally {
                peer.close();
            }
        }
    }

    @FunctionalInterface
    public interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** A background thread whose failure is rethrown by {@link #join}. */
    public static final class Bg {
        private final Thread thread;
        private volatile Throwable failure;

        private Bg(String name, ThrowingRunnable body) {
            thread = new Thread(() -> {
                try {
                    body.run();
                } catch (Throwable t) {
                    failure = t;
                }
            }, name);
            thread.setDaemon(true);
        }

        public static Bg start(String name, ThrowingRunnable body) {
            Bg bg = new Bg(name, body);
            bg.thread.start();
            return bg;
        }

        public Thread thread() {
            return thread;
        }

        /** Joins (bounded, 10 s) and rethrows whatever the thread threw. */
        public void join() throws Exception {
            thread.join(10_000);
            assertThat(thread.isAlive()).as(thread.getName() + " still alive after 10 s").isFalse();
            Throwable t = failure;
            if (t instanceof Exception e) throw e;
            if (t instanceof Error e) throw e;
        }
    }
}
