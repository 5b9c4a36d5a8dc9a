package io.verypoll.demo.resp;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A RESP2 client just big enough for tests: sends commands (or any bytes) and reads replies as
 * Java values: {@code +OK} a String, {@code -ERR ...} an {@link Err}, {@code :1} a Long, a bulk
 * string a String (ISO-8859-1, so any bytes survive), {@code $-1} null, an array a List.
 * Blocking, with a read timeout so that no test waits forever.
 */
final class RespClient implements AutoCloseable {

    /** An error reply, without its leading '-'. */
    record Err(String message) {
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RespClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        this.out = socket.getOutputStream();
    }

    static RespClient connect(int port) throws IOException {
        return connect(port, 0);
    }

    /** With a receive buffer of {@code receiveBuffer} bytes (0: the system's), set before connecting. */
    static RespClient connect(int port, int receiveBuffer) throws IOException {
        Socket socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        return new RespClient(socket);
    }

    /** Sends one command as an array of bulk strings and reads its reply. */
    Object call(String... arguments) throws IOException {
        send(Resp.command(arguments));
        return read();
    }

    void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    Object read() throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new EOFException("the server closed the connection");
        }
        String line = line();
        switch (type) {
            case '+':
                return line;
            case '-':
                return new Err(line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int length = Integer.parseInt(line);
                if (length < 0) {
                    return null;
                }
                byte[] bytes = in.readNBytes(length);
                if (bytes.length < length || in.read() != '\r' || in.read() != '\n') {
                    throw new IOException("bad bulk string of " + length + " bytes");
                }
                return Resp.text(bytes);
            }
            case '*': {
                int count = Integer.parseInt(line);
                if (count < 0) {
                    return null;
                }
                List<Object> items = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    items.add(read());
                }
                return items;
            }
            default:
                throw new IOException("unexpected reply type " + (char) type + " " + line);
        }
    }

    /**
     * Reads a bulk string reply at about {@code bytesPerSecond}, as a slow but live reader does: after
     * each read of at most 16 KiB it sleeps until the bytes so far are due at that rate. The sleeps
     * shape the load; nothing waits on them. Returns the value, or what came before the stream ended.
     */
    byte[] readBulkPaced(long bytesPerSecond) throws IOException, InterruptedException {
        if (in.read() != '$') {
            throw new IOException("not a bulk string reply");
        }
        int length = Integer.parseInt(line());
        ByteArrayOutputStream received = new ByteArrayOutputStream(length);
        byte[] chunk = new byte[16 * 1024];
        long start = System.nanoTime();
        while (received.size() < length) {
            int n = in.read(chunk, 0, Math.min(chunk.length, length - received.size()));
            if (n < 0) {
                return received.toByteArray();
            }
            received.write(chunk, 0, n);
            long aheadNanos = received.size() * 1_000_000_000L / bytesPerSecond - (System.nanoTime() - start);
            if (aheadNanos > 0) {
                Thread.sleep(aheadNanos / 1_000_000, (int) (aheadNanos % 1_000_000));
            }
        }
        if (in.read() != '\r' || in.read() != '\n') {
            throw new IOException("a bulk string without its CRLF");
        }
        return received.toByteArray();
    }

    /** True when the server has closed the connection (after whatever replies were still unread). */
    boolean closedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (java.net.SocketException e) {
            return true; // a reset also ends it
        }
    }

    private String line() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != '\r') {
            if (b < 0) {
                throw new EOFException("the server closed the connection within a reply");
            }
            bytes.write(b);
        }
        if (in.read() != '\n') {
            throw new IOException("CR without LF in a reply");
        }
        return Resp.text(bytes.toByteArray());
    }

    Socket socket() {
        return socket;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
