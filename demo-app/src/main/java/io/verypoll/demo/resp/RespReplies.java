package io.verypoll.demo.resp;

import io.verypoll.spring.boot.server.Connection;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * RESP2 replies, each assembled in one reused buffer and handed to {@link Connection#write} as one
 * piece. The write copies it (into the batch the framework sends once the read's commands are
 * handled), so the buffer is free again at once; only a long stored value goes out as itself. One
 * per loop, like {@link RespCommands}.
 */
final class RespReplies {

    static final byte[] OK = ascii("+OK\r\n");
    static final byte[] PONG = ascii("+PONG\r\n");
    static final byte[] NIL = ascii("$-1\r\n");
    private static final byte[] CRLF = ascii("\r\n");

    /** Replies up to this size are assembled whole; a longer bulk string goes out in three writes. */
    private static final int ASSEMBLED = 16 * 1024;
    private static final int HEADER_ROOM = 32;

    private final ByteBuffer out = ByteBuffer.allocate(ASSEMBLED + HEADER_ROOM);

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** A reply made in advance: {@link #OK}, {@link #PONG}, {@link #NIL}... */
    void raw(Connection connection, byte[] reply) {
        out.clear();
        out.put(reply);
        send(connection);
    }

    /** {@code -message\r\n}: message must not hold CR or LF. */
    void error(Connection connection, String message) {
        out.clear();
        out.put((byte) '-');
        putAscii(message, 1024);
        crlf();
        send(connection);
    }

    /** {@code -prefix<argument>suffix\r\n}: the argument (a command name) shortened, CR and LF made spaces. */
    void error(Connection connection, String prefix, RespArguments args, int i, String suffix) {
        out.clear();
        out.put((byte) '-');
        putAscii(prefix, 1024);
        ByteBuffer frame = args.frame();
        int length = Math.min(args.length(i), 128);
        for (int k = 0; k < length; k++) {
            byte b = frame.get(args.start(i) + k);
            out.put(b == '\r' || b == '\n' ? (byte) ' ' : b);
        }
        putAscii(suffix, 1024);
        crlf();
        send(connection);
    }

    void integer(Connection connection, long value) {
        out.clear();
        out.put((byte) ':');
        RespNumbers.put(out, value);
        crlf();
        send(connection);
    }

    /**
     * {@code $length\r\n bytes \r\n} for a stored value, a {@code byte[]} or a {@link RespStore.Slice}.
     * A stored value is never changed (SET stores a new array), so a long one is handed over as it
     * is ({@link Connection#writeOwned}): not copied, and not counted against max-pending-bytes, so a
     * value larger than that reaches a slow reader whole.
     */
    void bulk(Connection connection, Object stored) {
        if (stored instanceof RespStore.Slice slice) {
            bulk(connection, slice.array(), slice.offset(), slice.length());
        } else {
            byte[] value = (byte[]) stored;
            bulk(connection, value, 0, value.length);
        }
    }

    private void bulk(Connection connection, byte[] value, int offset, int length) {
        if (length > ASSEMBLED) {
            header(connection, length);
            connection.writeOwned(ByteBuffer.wrap(value, offset, length));
            raw(connection, CRLF);
            return;
        }
        out.clear();
        putBulkHeader(length);
        out.put(value, offset, length);
        crlf();
        send(connection);
    }

    /** Argument {@code i} as a bulk string (ECHO, PING with a message). */
    void bulk(Connection connection, RespArguments args, int i) {
        ByteBuffer frame = args.frame();
        int at = args.start(i);
        int length = args.length(i);
        if (length > ASSEMBLED) {
            header(connection, length);
            connection.write(frame.duplicate().limit(at + length).position(at));
            raw(connection, CRLF);
            return;
        }
        out.clear();
        putBulkHeader(length);
        out.put(out.position(), frame, at, length);
        out.position(out.position() + length);
        crlf();
        send(connection);
    }

    /**
     * An array of name/value pairs of bulk strings (CONFIG GET's reply), assembled whole: the
     * table it comes from is small.
     */
    void pairs(Connection connection, byte[][] names, byte[][] values, boolean[] chosen, int count) {
        out.clear();
        out.put((byte) '*');
        RespNumbers.put(out, 2L * count);
        crlf();
        for (int k = 0; k < names.length; k++) {
            if (chosen[k]) {
                putBulkHeader(names[k].length);
                out.put(names[k]);
                crlf();
                putBulkHeader(values[k].length);
                out.put(values[k]);
                crlf();
            }
        }
        send(connection);
    }

    private void header(Connection connection, int length) {
        out.clear();
        putBulkHeader(length);
        send(connection);
    }

    private void putBulkHeader(int length) {
        out.put((byte) '$');
        RespNumbers.put(out, length);
        crlf();
    }

    private void putAscii(String text, int max) {
        int n = Math.min(text.length(), max);
        for (int k = 0; k < n; k++) {
            char c = text.charAt(k);
            out.put(c < 0x80 && c != '\r' && c != '\n' ? (byte) c : (byte) '?');
        }
    }

    private void crlf() {
        out.put((byte) '\r').put((byte) '\n');
    }

    private void send(Connection connection) {
        connection.write(out.flip());
    }
}
