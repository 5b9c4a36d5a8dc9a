package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.PollLoop;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;

import java.util.Arrays;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * The TLS layer a client puts on each connected socket, when its settings name an SSL bundle: the
 * engines in client mode (host name verified unless {@code ssl.verify-hostname=false}, SNI from the
 * host or {@code ssl.server-name}), the material of the current run, swapped when the bundle is updated
 * (connections made afterwards use it). The client side of {@link ServerLayers}.
 */
final class ClientLayers {

    private static final Log log = LogFactory.getLog(StreamClient.class);

    /** Where ssl.bundle is looked up: the builder's, else the starter's (the context's SslBundles). */
    private volatile SslBundles bundles;
    private final boolean ownBundles;
    /** Update handlers added, per registry: SslBundles cannot remove one, so each is added once. */
    private final Map<SslBundles, Set<String>> watched = new IdentityHashMap<>();
    private volatile String clientName;
    private volatile TlsContext tls;
    private volatile String bundleName;
    private volatile String peerHost;
    private volatile int peerPort = -1;

    ClientLayers(SslBundles bundles) {
        this.bundles = bundles;
        this.ownBundles = bundles != null;
    }

    void defaultBundles(SslBundles starterBundles) {
        if (!ownBundles) {
            bundles = starterBundles;
        }
    }

    boolean isTls() {
        return tls != null;
    }

    /**
     * At each start: TLS if {@code settings} name a bundle, for the peer {@code host} ({@code port}, -1
     * when none). Fails (IllegalStateException) when the bundle cannot be found or used.
     */
    synchronized void prepare(String client, ClientSettings settings, String host, int port, Executor tasks, int loops) {
        clientName = client;
        tls = null;
        String name = settings.connection().sslBundle();
        if (name == null) {
            return;
        }
        SslBundles registry = bundles;
        SslBundle bundle = ServerLayers.lookUp(registry, name, "client '" + client + "'");
        String alpn = settings.get(ServerSetting.SSL_APPLICATION_PROTOCOLS);
        String[] protocols = alpn.isBlank() ? new String[0]
                : Arrays.stream(alpn.split(",")).map(String::trim).toArray(String[]::new);
        boolean verify = settings.get(ClientSetting.SSL_VERIFY_HOSTNAME);
        tls = TlsContext.forClient(bundle, protocols, verify, tasks, loops);
        String serverName = settings.get(ClientSetting.SSL_SERVER_NAME);
        peerHost = serverName.isBlank() ? host : serverName;
        peerPort = port;
        bundleName = name;
        if (watched.computeIfAbsent(registry, r -> new HashSet<>()).add(name)) {
            // Called on the registry's thread (a file watcher).
            registry.addBundleUpdateHandler(name, updated -> bundleUpdated(name, updated));
        }
    }

    private void bundleUpdated(String name, SslBundle bundle) {
        TlsContext context = tls;
        if (context == null || !name.equals(bundleName)) {
            return; // a handler of an earlier run, for a bundle this run does not use
        }
        try {
            context.update(bundle);
            log.info("client '" + clientName + "': SSL bundle '" + name + "' reloaded; new connections use it");
        } catch (RuntimeException e) {
            log.warn("client '" + clientName + "': the update of SSL bundle '" + name + "' cannot be used ("
                    + e.getMessage() + "); new connections keep the previous material", e);
        }
    }

    /** {@code socket} with TLS on it, if any; on the connection's loop, whose packet buffers TLS uses. */
    StreamChannel wrap(StreamChannel socket, PollLoop loop) {
        TlsContext context = tls;
        if (context == null) {
            return socket;
        }
        return new TlsChannel(socket, context.newEngine(peerHost, peerPort), context, context.buffers(loop),
                loop.runtime());
    }
}
