package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.EventHandler;
import io.verypoll.spring.boot.loop.PollLoop;
import io.verypoll.Event;
import io.verypoll.Interest;
import io.verypoll.Token;
import io.verypoll.net.UdpSocket;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A UDP server: one socket on one loop, each datagram handed to the {@link DatagramHandler}.
 * {@link #send} answers on the same socket; a datagram the socket cannot take right now is dropped and
 * counted (UDP promises no delivery, and queueing would only add latency).
 */
public final class UdpServer extends SocketServer {

    private static final Log log = LogFactory.getLog(UdpServer.class);

    /** Datagrams per readiness event before yielding to the loop's other work. */
    private static final int MAX_DATAGRAMS_PER_EVENT = 64;

    private final DatagramHandler handler;
    private final EventHandler eventHandler = this::onEvent;
    private final Runnable receiveAgain = this::receiveAgain;
    private final Consumer<PollLoop> onLoopFailure = this::loopFailed;
    private UdpSocket socket;
    private volatile PollLoop loop;
    private Token token;
    private ServerCounters.Stripe stripe;
    private volatile boolean closed;

    private UdpServer(String name, ServerSettings settings, DatagramHandler handler) {
        super(name, settings);
        this.handler = Objects.requireNonNull(handler, "handler");
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ServerKind kind() {
        return ServerKind.UDP;
    }

    @Override
    public int activeConnections() {
        return 0;
    }

    public long datagramsReceived() {
        return counters.datagramsReceived();
    }

    public long datagramsSent() {
        return counters.datagramsSent();
    }

    /** Receives that failed (a queued ICMP error, for instance); the server keeps receiving. */
    public long receiveErrors() {
        return counters.receiveErrors();
    }

    /** Datagrams dropped because the socket's send buffer was full. */
    public long datagramsDropped() {
        return counters.datagramsDropped();
    }

    /**
     * Sends {@code data} to {@code target} from the server's socket; must be called on the server's
     * loop (inside the handler). Returns false when the datagram was dropped.
     */
    public boolean send(ByteBuffer data, SocketAddress target) {
        if (!loop.inLoop()) {
            throw new IllegalStateException("UdpServer.send must be called on " + loop.threadName());
        }
        if (closed) {
            return false;
        }
        int length = data.remaining();
        try {
            int n = socket.sendTo(data, target);
            if (n == 0 && length > 0) {
                stripe.datagramsDropped++;
                return false;
            }
            stripe.datagramsSent++;
            stripe.bytesSent += n;
            return true;
        } catch (IOException e) {
            stripe.datagramsDropped++;
            log.debug("udp server '" + name() + "': send to " + target + " failed", e);
            return false;
        }
    }

    /** The loop this server's socket lives on. */
    public PollLoop loop() {
        return loop;
    }

    @Override
    void bind() throws IOException {
        ServerSettings s = settings();
        closed = false;
        socket = bindPort(port -> UdpSocket.bind(new InetSocketAddress(s.address(), port)));
        try {
            boundAddress = socket.localAddress();
            loop = group.next();
            stripe = counters.stripe(loop.index());
            token = loop.register(socket, Interest.READABLE, eventHandler);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
        group.onLoopFailure(onLoopFailure);
    }

    /** On the thread of a failed loop: the socket moves to a loop that still runs. */
    private void loopFailed(PollLoop failed) {
        if (failed != loop || closed) {
            return;
        }
        PollLoop target = group.next();
        loop = target;
        stripe = counters.stripe(target.index());
        moveRegistration(failed, target, token, socket, eventHandler, moved -> token = moved);
    }

    private void onEvent(Event event) {
        receive();
    }

    private void receiveAgain() {
        if (!closed) {
            receive();
        }
    }

    private void receive() {
        ByteBuffer buffer = loop.runtime().readBuffer();
        for (int i = 0; i < MAX_DATAGRAMS_PER_EVENT; i++) {
            buffer.clear();
            SocketAddress sender;
            try {
                sender = socket.recvFrom(buffer);
            } catch (java.nio.channels.ClosedChannelException e) {
                return; // closed under us: nothing more will come
            } catch (IOException e) {
                // A queued error is consumed by the failed call; the datagrams behind it still
                // wait, and only a would-block read re-arms. (The JDK already drops the ICMP
                // unreachables of an unconnected socket; this is for whatever else fails.)
                stripe.receiveErrors++;
                log.debug("udp server '" + name() + "': receive failed", e);
                continue;
            }
            if (sender == null) {
                return; // would block: armed again
            }
            buffer.flip();
            stripe.datagramsReceived++;
            stripe.bytesReceived += buffer.remaining();
            try {
                handler.onDatagram(this, buffer, sender);
            } catch (Throwable e) {
                stripe.handlerErrors++;
                loop.runtime().recordHandlerError(e);
                log.warn("datagram handler of '" + name() + "' threw", e);
            }
            if (closed) {
                return;
            }
        }
        loop.runtime().runLater(receiveAgain);
    }

    @Override
    public void stopAccepting(Duration timeout) {
        if (state != State.RUNNING) {
            return;
        }
        state = State.STOPPING;
        runOnLoop(loop, () -> {
            closed = true;
            try {
                loop.deregister(token);
            } catch (IOException | RuntimeException e) {
                log.trace("already deregistered", e);
            }
            try {
                socket.close();
            } catch (IOException e) {
                log.warn("closing udp server '" + name() + "' failed", e);
            }
        }, timeout);
        group.removeLoopFailureListener(onLoopFailure);
        state = State.STOPPED;
    }

    @Override
    public void beginDrain() {
        // Datagrams have nothing to drain.
    }

    @Override
    public int forceClose(Duration timeout) {
        stopAccepting(timeout); // a UDP server has no connections: closing it is stopping it
        return 0;
    }

    public static final class Builder extends ServerBuilder<Builder> {
        private DatagramHandler handler;

        private Builder() {
            super(ServerKind.UDP);
        }

        public Builder address(String host) {
            return set(ServerSetting.ADDRESS, host);
        }

        public Builder port(int port) {
            return set(ServerSetting.PORT, port);
        }

        public Builder handler(DatagramHandler value) {
            handler = value;
            return this;
        }

        public UdpServer build() {
            if (handler == null) {
                throw new IncompleteServerException("a UdpServer needs a handler",
                        "Give its builder a handler: UdpServer.builder().handler((server, data, sender) -> ...).");
            }
            return new UdpServer(name, settings, handler);
        }
    }
}
