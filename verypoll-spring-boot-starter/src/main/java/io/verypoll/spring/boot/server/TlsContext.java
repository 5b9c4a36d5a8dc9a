package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.PollLoop;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslOptions;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * What the TLS connections of one server (or, the same way, of one client) share: the
 * {@link SSLContext} made from an SSL bundle, the engine options, the executor of delegated tasks and
 * the packet buffers, one pair per loop. A connection holds ciphertext only while it is in flight,
 * so an idle one holds its engine and nothing else.
 *
 * <p>{@link #update} swaps the material: engines made afterwards use the new bundle, open connections
 * keep theirs.
 */
final class TlsContext {

    /** TLS 1.3 and 1.2, unless the bundle names its own. */
    static final String[] DEFAULT_PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    /** Per loop, made there at first use: the ciphertext going in and out, and arrays the engine calls take. */
    static final class Buffers {
        final ByteBuffer netIn;
        final ByteBuffer netOut;
        final ByteBuffer[] one = new ByteBuffer[1];

        Buffers(int packetSize) {
            // Three records in: their plaintext always fits the loop's 64 KiB read buffer, so what is
            // left over after a read is at most the tail of one record.
            netIn = ByteBuffer.allocate(3 * packetSize);
            // Four records out per write: 64 KiB of plaintext per system call.
            netOut = ByteBuffer.allocate(4 * packetSize);
        }
    }

    /** The engine options, swapped whole on an update. */
    private record Material(SSLContext context, String[] protocols, String[] ciphers) {
    }

    private final boolean clientMode;
    /** Client mode: the server's certificate must name the host (HTTPS endpoint identification). */
    private final boolean verifyHostname;
    private final ClientAuth clientAuth;
    private final String[] applicationProtocols;
    private final Executor tasks;
    private final Buffers[] perLoop;
    private final int packetSize;
    private volatile Material material;

    private TlsContext(boolean clientMode, boolean verifyHostname, SslBundle bundle, ClientAuth clientAuth,
                       String[] applicationProtocols, Executor tasks, int loops) {
        this.clientMode = clientMode;
        this.verifyHostname = verifyHostname;
        this.clientAuth = clientAuth;
        this.applicationProtocols = applicationProtocols;
        this.tasks = tasks;
        this.perLoop = new Buffers[loops];
        this.material = material(bundle);
        SSLEngine probe = newEngine(clientMode ? "localhost" : null, -1);
        this.packetSize = probe.getSession().getPacketBufferSize();
    }

    /** A server's: from its bundle and settings; fails (IllegalArgumentException) on an unusable bundle. */
    static TlsContext forServer(SslBundle bundle, ServerSettings settings, Executor tasks, int loops) {
        String alpn = settings.get(ServerSetting.SSL_APPLICATION_PROTOCOLS);
        String[] protocols = alpn.isBlank() ? new String[0]
                : Arrays.stream(alpn.split(",")).map(String::trim).toArray(String[]::new);
        return new TlsContext(false, false, bundle, settings.get(ServerSetting.SSL_CLIENT_AUTH), protocols, tasks, loops);
    }

    /**
     * A client's: the same engines in client mode, which start the handshake at their connection's
     * first read and, with {@code verifyHostname}, check that the server's certificate names the host
     * (HTTPS endpoint identification). The bundle's trust store decides which servers are trusted; its
     * key store, if any, is the client's certificate.
     */
    static TlsContext forClient(SslBundle bundle, String[] applicationProtocols, boolean verifyHostname, Executor tasks,
                                int loops) {
        return new TlsContext(true, verifyHostname, bundle, ClientAuth.NONE, applicationProtocols.clone(), tasks, loops);
    }

    /** New material from an updated bundle: for the engines made from now on. */
    void update(SslBundle bundle) {
        material = material(bundle);
    }

    private Material material(SslBundle bundle) {
        SSLContext context = bundle.createSslContext();
        SslOptions options = bundle.getOptions();
        String[] supported = context.getSupportedSSLParameters().getProtocols();
        String[] protocols = options.getEnabledProtocols() != null ? options.getEnabledProtocols()
                : intersect(DEFAULT_PROTOCOLS, supported);
        if (protocols.length == 0) {
            throw new IllegalArgumentException("no TLS protocol of " + Arrays.toString(DEFAULT_PROTOCOLS)
                    + " is supported by the JDK");
        }
        return new Material(context, protocols, options.getCiphers());
    }

    private static String[] intersect(String[] wanted, String[] supported) {
        List<String> kept = new ArrayList<>();
        for (String protocol : wanted) {
            if (Arrays.asList(supported).contains(protocol)) {
                kept.add(protocol);
            }
        }
        return kept.toArray(String[]::new);
    }

    /** An engine for one server connection, with the current material. */
    SSLEngine newEngine() {
        return newEngine(null, -1);
    }

    /**
     * An engine for one connection to {@code peerHost} (client mode: the name checked against the
     * server's certificate and sent as SNI; null on a server).
     */
    SSLEngine newEngine(String peerHost, int peerPort) {
        Material m = material;
        SSLEngine engine = peerHost == null ? m.context.createSSLEngine() : m.context.createSSLEngine(peerHost, peerPort);
        engine.setUseClientMode(clientMode);
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setProtocols(m.protocols);
        if (m.ciphers != null) {
            parameters.setCipherSuites(m.ciphers);
        }
        if (clientMode) {
            parameters.setEndpointIdentificationAlgorithm(verifyHostname ? "HTTPS" : null);
            SNIHostName sni = sniName(peerHost);
            if (sni != null) {
                parameters.setServerNames(List.of(sni)); // the JDK sends none for a name without a dot (localhost)
            }
        } else {
            switch (clientAuth) {
                case NEED -> parameters.setNeedClientAuth(true);
                case WANT -> parameters.setWantClientAuth(true);
                default -> {
                }
            }
        }
        if (applicationProtocols.length > 0) {
            parameters.setApplicationProtocols(applicationProtocols);
        }
        engine.setSSLParameters(parameters);
        return engine;
    }

    /** {@code host} as an SNI name, or null: none, an IP address (SNI carries names only), or not a valid name. */
    private static SNIHostName sniName(String host) {
        if (host == null || host.isEmpty() || host.indexOf(':') >= 0 || host.chars().allMatch(c -> c == '.' || Character.isDigit(c))) {
            return null;
        }
        try {
            return new SNIHostName(host);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The per-loop buffers of {@code loop}; call on its thread. */
    Buffers buffers(PollLoop loop) {
        Buffers buffers = perLoop[loop.index()];
        if (buffers == null) {
            buffers = new Buffers(packetSize);
            perLoop[loop.index()] = buffers;
        }
        return buffers;
    }

    int packetSize() {
        return packetSize;
    }

    Executor tasks() {
        return tasks;
    }
}
