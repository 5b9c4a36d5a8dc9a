package io.verypoll.spring.boot.server;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

/**
 * A loopback listener that never accepts, with its accept queue filled: the kernel drops further
 * SYNs, so a connect to it neither succeeds nor fails until the connector's own timeout. What a
 * blackholed address does, without root or network namespaces.
 */
final class FullBacklog implements AutoCloseable {

    private final ServerSocket listener;
    private final List<Socket> fillers = new ArrayList<>();

    FullBacklog() throws IOException {
        listener = new ServerSocket();
        listener.bind(new InetSocketAddress("127.0.0.1", 0), 1);
        // Bounded: a queue of backlog 1 holds two or three; stop at the first connect that hangs.
        for (int i = 0; i < 16; i++) {
            Socket filler = new Socket();
            fillers.add(filler);
            try {
                filler.connect(listener.getLocalSocketAddress(), 300);
            } catch (SocketTimeoutException full) {
                return;
            } catch (java.net.ConnectException refused) {
                break; // reset instead of dropped
            }
        }
        close();
        // A kernel that answers a full queue with a reset (tcp_abort_on_overflow) has nothing that hangs.
        Assumptions.abort("the accept queue never filled: this kernel does not drop connects to a full backlog");
    }

    int port() {
        return listener.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        for (Socket filler : fillers) {
            filler.close();
        }
        listener.close();
    }
}
