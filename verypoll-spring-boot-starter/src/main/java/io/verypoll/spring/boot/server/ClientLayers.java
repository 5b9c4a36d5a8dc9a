package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.PollLoop;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.ssl.SslBundles;

import java.util.Arrays;
import java.util.concurrent.Executor;

/**
 * The TLS layer a client puts on each connected socket, when its settings name an SSL bundle: the
 * engines in client mode (host name verified unless {@code ssl.verify-hostname=false}, SNI from the
 * host or {@code ssl.server-name}), the material of the current run, swapped when the bundle is updated
 * (connections made afterwards use it). The client side of {@link ServerLayers}.
 */
final class ClientLayers {

    private final BundleMaterial material;
    private volatile String peerHost;
    private volatile int peerPort = -1;

    ClientLayers(SslBundles bundles) {
        this.material = new BundleMaterial(bundles, "client", LogFactory.getLog(StreamClient.class));
    }

    void defaultBundles(SslBundles starterBundles) {
        material.defaultBundles(starterBundles);
    }

    boolean isTls() {
        return material.current() != null;
    }

    /**
     * At each start: TLS if {@code settings} name a bundle, for the peer {@code host} ({@code port}, -1
     * when none). Fails (IllegalStateException) when the bundle cannot be found or used.
     */
    synchronized void prepare(String client, ClientSettings settings, String host, int port, Executor tasks, int loops) {
        material.prepare(client, settings.connection().sslBundle(), bundle -> {
            String alpn = settings.get(ServerSetting.SSL_APPLICATION_PROTOCOLS);
            String[] protocols = alpn.isBlank() ? new String[0]
                    : Arrays.stream(alpn.split(",")).map(String::trim).toArray(String[]::new);
            boolean verify = settings.get(ClientSetting.SSL_VERIFY_HOSTNAME);
            TlsContext context = TlsContext.forClient(bundle, protocols, verify, tasks, loops);
            String serverName = settings.get(ClientSetting.SSL_SERVER_NAME);
            peerHost = serverName.isBlank() ? host : serverName;
            peerPort = port;
            return context;
        });
    }

    /** {@code socket} with TLS on it, if any; on the connection's loop, whose packet buffers TLS uses. */
    StreamChannel wrap(StreamChannel socket, PollLoop loop) {
        TlsContext context = material.current();
        if (context == null) {
            return socket;
        }
        return new TlsChannel(socket, context.newEngine(peerHost, peerPort), context, context.buffers(loop),
                loop.runtime());
    }
}
