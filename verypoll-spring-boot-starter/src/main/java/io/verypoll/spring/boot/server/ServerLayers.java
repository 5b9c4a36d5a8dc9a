package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.PollLoop;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.ssl.NoSuchSslBundleException;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;

import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * The layers a stream server puts on each accepted socket: the PROXY header first (it precedes
 * everything), then TLS. Holds the TLS material of the current run, made from the SSL bundle the
 * settings name, and swaps it when the bundle is updated: connections accepted afterwards use the
 * new material, open ones keep theirs.
 */
final class ServerLayers {

    private static final Log log = LogFactory.getLog(StreamServer.class);

    /** Where ssl.bundle is looked up: the builder's, else the starter's (the context's SslBundles). */
    private volatile SslBundles bundles;
    private final boolean ownBundles;
    /** Update handlers added, per registry: SslBundles cannot remove one, so each is added once. */
    private final Map<SslBundles, Set<String>> watched = new IdentityHashMap<>();
    private volatile String serverName;
    private volatile ProxyProtocol proxy = ProxyProtocol.OFF;
    private volatile TlsContext tls;
    private volatile String bundleName;

    ServerLayers(SslBundles bundles) {
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
     * At each start: the layers {@code settings} ask for. Fails (IllegalStateException) when the SSL
     * bundle cannot be found or used.
     */
    synchronized void prepare(String server, ServerSettings settings, Executor tasks, int loops) {
        serverName = server;
        proxy = settings.proxyProtocol();
        tls = null;
        String name = settings.sslBundle();
        if (name == null) {
            return;
        }
        SslBundles registry = bundles;
        SslBundle bundle = lookUp(registry, name, "server '" + server + "'");
        tls = TlsContext.forServer(bundle, settings, tasks, loops);
        bundleName = name;
        if (watched.computeIfAbsent(registry, r -> new HashSet<>()).add(name)) {
            // Called on the registry's thread (a file watcher).
            registry.addBundleUpdateHandler(name, updated -> bundleUpdated(name, updated));
        }
    }

    /** The bundle {@code name} of {@code registry} for {@code who} (a server or a client); fails with what is missing. */
    static SslBundle lookUp(SslBundles registry, String name, String who) {
        if (registry == null) {
            throw new IllegalStateException(who + " has ssl.bundle '" + name + "' but no SslBundles to find it in:"
                    + " run it in a Boot context (spring.ssl.bundle.*), or give its builder sslBundles(...)");
        }
        try {
            return registry.getBundle(name);
        } catch (NoSuchSslBundleException e) {
            throw new IllegalStateException(who + ": ssl.bundle '" + name + "' names no SSL bundle; the bundles are "
                    + registry.getBundleNames(), e);
        }
    }

    private void bundleUpdated(String name, SslBundle bundle) {
        TlsContext context = tls;
        if (context == null || !name.equals(bundleName)) {
            return; // a handler of an earlier run, for a bundle this run does not use
        }
        try {
            context.update(bundle);
            log.info("server '" + serverName + "': SSL bundle '" + name + "' reloaded; new connections use it");
        } catch (RuntimeException e) {
            log.warn("server '" + serverName + "': the update of SSL bundle '" + name + "' cannot be used ("
                    + e.getMessage() + "); new connections keep the previous material", e);
        }
    }

    /** {@code socket} with the layers on it; on the connection's loop, whose packet buffers TLS uses. */
    StreamChannel wrap(StreamChannel socket, PollLoop loop) {
        StreamChannel channel = socket;
        if (proxy != ProxyProtocol.OFF) {
            channel = new ProxyChannel(channel, proxy);
        }
        TlsContext context = tls;
        if (context != null) {
            channel = new TlsChannel(channel, context.newEngine(), context, context.buffers(loop), loop.runtime());
        }
        return channel;
    }
}
