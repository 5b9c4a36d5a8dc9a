package io.verypoll.spring.boot.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;

import static org.assertj.core.api.Assertions.assertThat;

/** What a TLS connection keeps of its ciphertext: only what the socket leaves, in order, dropped once sent. */
@Timeout(10)
class PendingCiphertextTest {

    private static ByteBuffer bytes(int from, int count) {
        ByteBuffer buffer = ByteBuffer.allocate(count);
        for (int i = 0; i < count; i++) {
            buffer.put((byte) (from + i));
        }
        return buffer.flip();
    }

    /** A socket with room for {@code room} more bytes: then it would block (writes return 0). */
    private static final class Socket implements java.nio.channels.WritableByteChannel {
        final java.io.ByteArrayOutputStream taken = new java.io.ByteArrayOutputStream();
        int room;

        Socket(int room) {
            this.room = room;
        }

        @Override
        public int write(ByteBuffer src) {
            int n = Math.min(room, src.remaining());
            for (int i = 0; i < n; i++) {
                taken.write(src.get());
            }
            room -= n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void whatTheSocketTakesAtOnceIsNeverCopied() throws Exception {
        PendingCiphertext pending = new PendingCiphertext();
        Socket socket = new Socket(1000);
        pending.send(bytes(0, 300), socket);
        assertThat(pending.isEmpty()).isTrue();
        assertThat(socket.taken.toByteArray()).isEqualTo(bytes(0, 300).array());
    }

    @Test
    void theRestWaitsInOrderAndLaterBytesQueueBehindIt() throws Exception {
        PendingCiphertext pending = new PendingCiphertext();
        Socket socket = new Socket(100);
        ByteBuffer first = bytes(0, 150);
        pending.send(first, socket);
        assertThat(first.hasRemaining()).as("the shared buffer is emptied: its rest is copied").isFalse();
        assertThat(pending.bytes()).isEqualTo(50);
        // The socket is full: the next send must not overtake what waits.
        pending.send(bytes(150, 50), socket);
        assertThat(pending.bytes()).isEqualTo(100);
        assertThat(pending.flush(socket)).isFalse();
        socket.room = 30;
        assertThat(pending.flush(socket)).isFalse();
        assertThat(pending.bytes()).isEqualTo(70);
        socket.room = 1000;
        assertThat(pending.flush(socket)).isTrue();
        assertThat(pending.isEmpty()).isTrue();
        assertThat(socket.taken.toByteArray()).isEqualTo(bytes(0, 200).array());
    }

    @Test
    void aSendFlushesWhatWaitsFirstWhenTheSocketTakesItAgain() throws Exception {
        PendingCiphertext pending = new PendingCiphertext();
        Socket socket = new Socket(10);
        pending.send(bytes(0, 40), socket);
        assertThat(pending.bytes()).isEqualTo(30);
        socket.room = 1000;
        pending.send(bytes(40, 20), socket);
        assertThat(pending.isEmpty()).isTrue();
        assertThat(socket.taken.toByteArray()).isEqualTo(bytes(0, 60).array());
    }

    @Test
    void clearDropsWhatWaits() throws Exception {
        PendingCiphertext pending = new PendingCiphertext();
        pending.send(bytes(0, 10), new Socket(0));
        assertThat(pending.bytes()).isEqualTo(10);
        pending.clear();
        assertThat(pending.isEmpty()).isTrue();
        assertThat(pending.flush(new Socket(0))).isTrue();
    }
}
