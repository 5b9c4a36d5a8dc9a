package io.verypoll.spring.boot.server;

import io.verypoll.Event;
import io.verypoll.Interest;
import io.verypoll.Token;
import io.verypoll.net.SocketStream;
import io.verypoll.spring.boot.loop.EventHandler;
import io.verypoll.spring.boot.loop.LoopTimer;
import io.verypoll.spring.boot.loop.PollLoop;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketAddress;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.UnresolvedAddressException;

/**
 * One outbound connect of a {@link StreamClient}, from the name to an open {@link Connection} or a
 * failure told to the handler. Phases: resolving (a host name, on the client's executor: never on a
 * loop), connecting (the socket registered on the connection's loop for the connect's writable or
 * error, with the connect timeout as this timer), done. On success the socket becomes a
 * {@link Connection} on the same loop; on failure the handler gets {@code onClose} with
 * {@link CloseReason#CONNECT_REFUSED}, {@link CloseReason#CONNECT_TIMEOUT}, {@link CloseReason#UNRESOLVED}
 * or {@link CloseReason#CONNECT_FAILED} ({@link CloseReason#SHUTDOWN} when the client stopped first).
 */
final class OutboundConnect extends LoopTimer implements EventHandler {

    private static final Log log = LogFactory.getLog(StreamClient.class);

    private static final Interest CONNECT = Interest.READABLE.add(Interest.WRITABLE);

    /** Told how the connect ended, on the loop; the link is one. */
    interface Listener {
        void opened(Connection connection);

        void failed(CloseReason reason);
    }

    private enum Phase { RESOLVING, CONNECTING, DONE }

    private final StreamClient client;
    private final PollLoop loop;
    private final ConnectionHandlerFactory factory;
    private final Listener listener;
    private SocketAddress target;
    private Phase phase = Phase.RESOLVING;
    private SocketStream stream;
    private Token token;

    OutboundConnect(StreamClient client, PollLoop loop, ConnectionHandlerFactory factory, Listener listener,
                    SocketAddress target) {
        this.client = client;
        this.loop = loop;
        this.factory = factory;
        this.listener = listener;
        this.target = target;
    }

    /** Any thread: resolves off the loop if it must, then connects on the loop. */
    void begin() {
        if (client.needsResolving(target)) {
            try {
                client.resolverExecutor().execute(this::resolve);
            } catch (RuntimeException refused) {
                log.debug("client '" + client.name() + "': resolver refused the work", refused);
                onLoop(() -> fail(CloseReason.CONNECT_FAILED, null));
            }
        } else if (loop.inLoop()) {
            connect();
        } else {
            onLoop(this::connect);
        }
    }

    /** On the resolver's thread: the one blocking step. */
    private void resolve() {
        SocketAddress resolved;
        try {
            resolved = client.resolve(target);
        } catch (RuntimeException e) {
            resolved = null;
        }
        if (resolved == null) {
            onLoop(() -> fail(CloseReason.UNRESOLVED, null));
        } else {
            SocketAddress address = resolved;
            onLoop(() -> {
                target = address;
                connect();
            });
        }
    }

    private void onLoop(Runnable step) {
        if (!loop.runtime().executeInternal(step)) {
            client.attemptEnded(loop, this, true); // the loop has stopped: nothing to tell on it
        }
    }

    private void connect() {
        if (!client.takesConnects()) {
            fail(CloseReason.SHUTDOWN, null);
            return;
        }
        client.attemptsOf(loop).add(this);
        try {
            stream = client.open(target);
            token = loop.register(stream, CONNECT, this);
        } catch (ConnectException e) {
            fail(CloseReason.CONNECT_REFUSED, e);
            return;
        } catch (UnresolvedAddressException e) {
            fail(CloseReason.UNRESOLVED, null);
            return;
        } catch (IOException | RuntimeException e) {
            fail(CloseReason.CONNECT_FAILED, e instanceof IOException io ? io : new IOException(e));
            return;
        }
        phase = Phase.CONNECTING;
        loop.runtime().armTimer(this, loop.runtime().now() + client.settings().connectTimeout().toNanos());
    }

    @Override
    public void onEvent(Event event) {
        if (phase != Phase.CONNECTING) {
            return;
        }
        IOException error = stream.takeError();
        if (error != null) {
            fail(error instanceof ConnectException ? CloseReason.CONNECT_REFUSED : CloseReason.CONNECT_FAILED, error);
            return;
        }
        if (event.isError()) {
            fail(CloseReason.CONNECT_FAILED, null);
            return;
        }
        try {
            stream.peerAddress(); // throws while the connect is still in progress
        } catch (NotYetConnectedException e) {
            return;
        } catch (IOException e) {
            fail(CloseReason.CONNECT_FAILED, e);
            return;
        }
        succeed();
    }

    /** The connect timeout. */
    @Override
    protected void fire() {
        if (phase == Phase.CONNECTING) {
            fail(CloseReason.CONNECT_TIMEOUT, null);
        }
    }

    /** The client stops ({@link CloseReason#SHUTDOWN}) or the loop failed: a connect in progress fails. Loop thread. */
    void cancel(CloseReason reason) {
        if (phase == Phase.CONNECTING) {
            fail(reason, null);
        }
    }

    private void succeed() {
        StreamChannel channel;
        try {
            client.prepareConnected(stream);
            channel = client.withLayers(new SocketStreamChannel(stream), loop);
        } catch (IOException | RuntimeException e) {
            fail(CloseReason.CONNECT_FAILED, e instanceof IOException io ? io : new IOException(e));
            return;
        }
        phase = Phase.DONE;
        loop.runtime().cancelTimer(this);
        client.attemptEnded(loop, this, false);
        try {
            loop.deregister(token); // the connection registers the socket again, for its own events
        } catch (IOException | RuntimeException e) {
            log.trace("deregister after the connect", e);
        }
        Connection connection = client.newConnection(loop, channel);
        if (listener != null) {
            listener.opened(connection);
        }
        connection.open(factory);
    }

    private void fail(CloseReason reason, IOException cause) {
        if (phase == Phase.DONE) {
            return;
        }
        boolean registered = phase == Phase.CONNECTING;
        phase = Phase.DONE;
        loop.runtime().cancelTimer(this);
        if (registered) {
            try {
                loop.deregister(token);
            } catch (IOException | RuntimeException e) {
                log.trace("deregister after a failed connect", e);
            }
        }
        if (stream != null) {
            try {
                stream.close();
            } catch (IOException e) {
                log.trace("close after a failed connect", e);
            }
        }
        client.attemptEnded(loop, this, false);
        if (log.isDebugEnabled()) {
            log.debug("client '" + client.name() + "': connect to " + target + " failed: " + reason.tag()
                    + (cause == null ? "" : " (" + cause.getMessage() + ")"));
        }
        client.newConnection(loop, new UnconnectedChannel(target)).connectFailed(factory, reason);
        if (listener != null) {
            listener.failed(reason);
        }
    }
}
