package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.PollLoop;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.ssl.SslBundles;

import java.util.concurrent.Executor;

/**
 * The layers a stream server puts on each accepted socket: the PROXY header first (it precedes
 * everything), then TLS. Holds the TLS material of the current run, made from the SSL bundle the
 * settings name, and swaps it when the bundle is updated: connections accepted afterwards use the
 * new material, open ones keep theirs.
 */
final class ServerLayers {

    private final BundleMaterial material;
    private volatile ProxyProtocol proxy = ProxyProtocol.OFF;

    ServerLayers(SslBundles bundles) {
        this.material = new BundleMaterial(bundles, "server", LogFactory.getLog(StreamServer.class));
    }

    void defaultBundles(SslBundles starterBundles) {
        material.defaultBundles(starterBundles);
    }

    boolean isTls() {
        return material.current() != null;
    }

    /**
     * At each start: the layers {@code settings} ask for. Fails (IllegalStateException) when the SSL
     * bundle cannot be found or used.
     */
    synchronized void prepare(String server, ServerSettings settings, Executor tasks, int loops) {
        proxy = settings.proxyProtocol();
        material.prepare(server, settings.sslBundle(), bundle -> TlsContext.forServer(bundle, settings, tasks, loops));
    }

    /** {@code socket} with the layers on it; on the connection's loop, whose packet buffers TLS uses. */
    StreamChannel wrap(StreamChannel socket, PollLoop loop) {
        StreamChannel channel = socket;
        if (proxy != ProxyProtocol.OFF) {
            channel = new ProxyChannel(channel, proxy);
        }
        TlsContext context = material.current();
        if (context != null) {
            channel = new TlsChannel(channel, context.newEngine(), context, context.buffers(loop), loop.runtime());
        }
        return channel;
    }
}
