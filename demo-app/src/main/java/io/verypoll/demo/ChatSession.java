package io.verypoll.demo;


import io.verypoll.spring.boot.server.CloseReason;
import io.verypoll.spring.boot.server.Connection;
import io.verypoll.spring.boot.server.ConnectionHandler;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One chat client: splits its input into lines and broadcasts each as {@code user-N: text}. A line
 * longer than the limit is not broadcast; the sender gets an error line and the rest of that line is
 * skipped. A member too slow to read what others say is closed by the server's max-pending-bytes cap.
 */
final class ChatSession implements ConnectionHandler {


    private final ChatRoom room;
    private final int maxLineBytes;
    private final String name;
    /** Bytes of an unfinished line; allocated only while a line is incomplete. */
    private byte[] partial;
    private int partialLength;
    private boolean skippingLongLine;

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

    @Override
    public void onData(Connection connection, ByteBuffer data) {
        while (data.hasRemaining()) {
            byte b = data.get();
            if (b == '\n') {
                if (skippingLongLine) {
                    skippingLongLine = false;
                } else {
                    say(partial == null ? new byte[0] : Arrays.copyOf(partial, partialLength));
                }
                partialLength = 0;
                partial = null;
                continue;
            }
            if (skippingLongLine) {
                continue;
            }
            if (partialLength == maxLineBytes) {
                connection.write(("! line too long, max " + maxLineBytes + " bytes; not sent\n")
                        .getBytes(StandardCharsets.UTF_8));
                skippingLongLine = true;
                partial = null;
                partialLength = 0;
                continue;
            }
            if (partial == null) {
                partial = new byte[Math.min(maxLineBytes, 128)];
            } else if (partialLength == partial.length) {
                partial = Arrays.copyOf(partial, Math.min(maxLineBytes, partial.length * 2));
            }
            partial[partialLength++] = b;
        }
    }

    private void say(byte[] text) {
        int end = text.length;
        if (end > 0 && text[end - 1] == '\r') {
            end--;
        }
        byte[] prefix = (name + ": ").getBytes(StandardCharsets.UTF_8);
        byte[] line = new byte[prefix.length + end + 1];
        System.arraycopy(prefix, 0, line, 0, prefix.length);
        System.arraycopy(text, 0, line, prefix.length, end);
        line[line.length - 1] = '\n';
        room.broadcast(line);
    }

    @Override
    public void onClose(Connection connection, CloseReason reason) {
        room.leave(connection);
    }
}
