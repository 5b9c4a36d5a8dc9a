package io.verypoll.demo;


import io.verypoll.spring.boot.frame.FrameTooLongException;
import io.verypoll.spring.boot.server.CloseReason;
import io.verypoll.spring.boot.server.Connection;
import io.verypoll.spring.boot.server.MessageHandler;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * One chat client. The server's line decoder hands it one line at a time (LF or CRLF stripped),
 * which it broadcasts as {@code user-N: text}. A line longer than the limit is not broadcast: the
 * sender gets an error line and the server closes the connection ({@code frame-too-long}). A
 * member too slow to read what others say is closed by the server's max-pending-bytes cap.
 */
final class ChatSession implements MessageHandler {

    private final ChatRoom room;
    private final int maxLineBytes;
    private final String name;

    ChatSession(ChatRoom room, int maxLineBytes, Connection connection) {
        this.room = room;
        this.maxLineBytes = maxLineBytes;
        this.name = "user-" + connection.id();
    }

    @Override
    public void onOpen(Connection connection) {
        room.join(connection);
        connection.write(("* welcome " + name + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** One line, without its terminator: valid during this call only, so it is copied into the broadcast. */
    @Override
    public void onMessage(Connection connection, ByteBuffer line) {
        byte[] prefix = (name + ": ").getBytes(StandardCharsets.UTF_8);
        byte[] said = new byte[prefix.length + line.remaining() + 1];
        System.arraycopy(prefix, 0, said, 0, prefix.length);
        line.get(said, prefix.length, line.remaining());
        said[said.length - 1] = '\n';
        room.broadcast(said);
    }

    /** Sent before the server closes the connection. */
    @Override
    public void onFrameTooLong(Connection connection, FrameTooLongException error) {
        connection.write(("! line too long, max " + maxLineBytes + " bytes; not sent, closing\n")
                .getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void onClose(Connection connection, CloseReason reason) {
        room.leave(connection);
    }
}
