package io.verypoll.spring.boot.server;

import org.apache.commons.logging.Log;
import org.springframework.boot.ssl.NoSuchSslBundleException;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;

import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The TLS material of a server's or a client's current run ({@link ServerLayers}, {@link ClientLayers}):
 * made from the SSL bundle the settings name, swapped when that bundle is updated (connections made
 * afterwards use the new material, open ones keep theirs).
 */
final class BundleMaterial {

    private final Log log;
    /** "server" or "client", for messages. */
    private final String role;
    /** Where ssl.bundle is looked up: the builder's, else the starter's (the context's SslBundles). */
    private volatile SslBundles bundles;
    private final boolean ownBundles;
    /** Update handlers added, per registry: SslBundles cannot remove one, so each is added once. */
    private final Map<SslBundles, Set<String>> watched = new IdentityHashMap<>();
    private volatile String ownerName;
    private volatile TlsContext tls;
    private volatile String bundleName;

    BundleMaterial(SslBundles bundles, String role, Log log) {
        this.bundles = bundles;
        this.ownBundles = bundles != null;
        this.role = role;
        this.log = log;
    }

    void defaultBundles(SslBundles starterBundles) {
        if (!ownBundles) {
            bundles = starterBundles;
        }
    }

    /** The material of the current run; null without TLS. */
    TlsContext current() {
        return tls;
    }

    /**
     * At each start (under the caller's lock): the material of bundle {@code name} (null: no TLS), made
     * by {@code make}. Fails (IllegalStateException) when the bundle cannot be found or used.
     */
    void prepare(String owner, String name, Function<SslBundle, TlsContext> make) {
        ownerName = owner;
        tls = null;
        if (name == null) {
            return;
        }
        SslBundles registry = bundles;
        SslBundle bundle = lookUp(registry, name, role + " '" + owner + "'");
        tls = make.apply(bundle);
        bundleName = name;
        if (watched.computeIfAbsent(registry, r -> new HashSet<>()).add(name)) {
            // Called on the registry's thread (a file watcher).
            registry.addBundleUpdateHandler(name, updated -> bundleUpdated(name, updated));
        }
    }

    /** The bundle {@code name} of {@code registry} for {@code who} (a server or a client); fails with what is missing. */
    private static SslBundle lookUp(SslBundles registry, String name, String who) {
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
            log.info(role + " '" + ownerName + "': SSL bundle '" + name + "' reloaded; new connections use it");
        } catch (RuntimeException e) {
            log.warn(role + " '" + ownerName + "': the update of SSL bundle '" + name + "' cannot be used ("
                    + e.getMessage() + "); new connections keep the previous material", e);
        }
    }
}
