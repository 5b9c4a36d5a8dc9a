package io.verypoll.spring.boot.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The limits and address of one server. Immutable; {@code with*} methods return changed copies.
 * Defaults follow the reliability notes: loopback, backlog 1024, 8192 connections, 60 s idle timeout,
 * 2 s linger after a graceful close, 64 KiB / 32 KiB watermarks, a 4 MiB cap on bytes waiting for a slow peer.
 *
 * @param address            host or IP to bind (TCP and UDP)
 * @param port               port to bind, 0 for any free port (TCP and UDP)
 * @param path               socket file (Unix servers only)
 * @param backlog            accept queue length asked of the kernel
 * @param maxConnections     open connections above which new ones are accepted and closed at once
 * @param idleTimeout        close a connection after this long without I/O; zero disables
 * @param lingerTimeout      after a graceful close has sent everything and its end of stream, the
 *                           connection reads and discards until the peer closes too or has been quiet
 *                           this long (closing on unread input would reset the connection and lose the
 *                           last bytes); zero closes at once
 * @param highWatermark      pending bytes above which the connection stops reading
 * @param lowWatermark       pending bytes at or below which it reads again
 * @param maxPendingBytes    pending bytes above which the connection is closed
 * @param tcpNoDelay         disable Nagle's algorithm on accepted TCP connections
 * @param acceptBackoff      first pause of accepting after an accept error (EMFILE, ...)
 * @param acceptBackoffMax   longest such pause; the pause doubles up to this
 */
public record ServerSettings(String address, int port, String path, int backlog, int maxConnections,
                             Duration idleTimeout, Duration lingerTimeout, int highWatermark, int lowWatermark, long maxPendingBytes,
                             boolean tcpNoDelay, Duration acceptBackoff, Duration acceptBackoffMax) {

    public static final String LOOPBACK = "127.0.0.1";

    public ServerSettings {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(lingerTimeout, "lingerTimeout");
        Objects.requireNonNull(acceptBackoff, "acceptBackoff");
        Objects.requireNonNull(acceptBackoffMax, "acceptBackoffMax");
    }

    public static ServerSettings defaults() {
        return new ServerSettings(LOOPBACK, 0, null, 1024, 8192, Duration.ofSeconds(60), Duration.ofSeconds(2), 64 * 1024, 32 * 1024, 4L * 1024 * 1024, true, Duration.ofMillis(100), Duration.ofSeconds(1));
    }

    public ServerSettings withAddress(String value) {
        return new ServerSettings(value, port, path, backlog, maxConnections, idleTimeout, lingerTimeout, highWatermark, lowWatermark, maxPendingBytes, tcpNoDelay, acceptBackoff, acceptBackoffMax);
    }

    public ServerSettings withPort(int value) {
        return new ServerSettings(address, value, path, backlog, maxConnections, idleTimeout, lingerTimeout, highWatermark, lowWatermark, maxPendingBytes, tcpNoDelay, acceptBackoff, acceptBackoffMax);
    }

    public ServerSettings withPath(String value) {
        return new ServerSettings(address, port, value, backlog, maxConnections, idleTimeout, lingerTimeout, highWatermark, lowWatermark, maxPendingBytes, tcpNoDelay, acceptBackoff, acceptBackoffMax);
    }

    public ServerSettings withBacklog(int value) {
        return new ServerSettings(address, port, path, value, maxConnections, idleTimeout, lingerTimeout, highWatermark, lowWatermark, maxPendingBytes, tcpNoDelay, acceptBackoff, acceptBackoffMax);
    }

    public ServerSettings withMaxConnections(int value) {
        return new ServerSettings(address, port, path, backlog, value, idleTimeout, lingerTimeout, highWatermark, lowWatermark, maxPendingBytes, tcpNoDelay, acceptBackoff, acceptBackoffMax);
    }

    public ServerSettings withIdleTimeout(Duration value) {
        return new ServerSettings(address, port, path, backlog, maxConnections, value, lingerTimeout, highWatermark, lowWatermark, maxPendingBytes, tcpNoDelay, acceptBackoff, acceptBackoffMax);
    }

    public ServerSettings withLingerTimeout(Duration value) {
        return new ServerSettings(address, port, path, backlog, maxConnections, idleTimeout, value, highWatermark,
                lowWatermark, maxPendingBytes, tcpNoDelay, acceptBackoff, acceptBackoffMax);
    }

    public ServerSettings withWatermarks(int low, int high) {
        return new ServerSettings(address, port, path, backlog, maxConnections, idleTimeout, lingerTimeout, high, low, maxPendingBytes, tcpNoDelay, acceptBackoff, acceptBackoffMax);
    }

    public ServerSettings withMaxPendingBytes(long value) {
        return new ServerSettings(address, port, path, backlog, maxConnections, idleTimeout, lingerTimeout, highWatermark, lowWatermark, value, tcpNoDelay, acceptBackoff, acceptBackoffMax);
    }

    public ServerSettings withTcpNoDelay(boolean value) {
        return new ServerSettings(address, port, path, backlog, maxConnections, idleTimeout, lingerTimeout, highWatermark, lowWatermark, maxPendingBytes, value, acceptBackoff, acceptBackoffMax);
    }

    public ServerSettings withAcceptBackoff(Duration initial, Duration max) {
        return new ServerSettings(address, port, path, backlog, maxConnections, idleTimeout, lingerTimeout, highWatermark, lowWatermark, maxPendingBytes, tcpNoDelay, initial, max);
    }

    /** Every rule this server breaks, as messages naming the server and the property; empty when valid. */
    public List<String> problems(String server, boolean needsPath) {
        List<String> problems = new ArrayList<>();
        String prefix = "verypoll server '" + server + "': ";
        if (needsPath) {
            if (path == null || path.isBlank()) {
                problems.add(prefix + "path must be set for a Unix-domain server");
            }
        } else if (port < 0 || port > 65535) {
            problems.add(prefix + "port must be between 0 and 65535, was " + port);
        }
        if (backlog < 1) {
            problems.add(prefix + "backlog must be at least 1, was " + backlog);
        }
        if (maxConnections < 1) {
            problems.add(prefix + "max-connections must be at least 1, was " + maxConnections);
        }
        if (idleTimeout.isNegative()) {
            problems.add(prefix + "idle-timeout must not be negative, was " + idleTimeout);
        }
        if (lingerTimeout.isNegative()) {
            problems.add(prefix + "linger-timeout must not be negative, was " + lingerTimeout);
        }
        if (lowWatermark < 0) {
            problems.add(prefix + "low-watermark must not be negative, was " + lowWatermark);
        }
        if (lowWatermark >= highWatermark) {
            problems.add(prefix + "low-watermark (" + lowWatermark + " bytes) must be lower than high-watermark ("
                    + highWatermark + " bytes)");
        }
        if (highWatermark > maxPendingBytes) {
            problems.add(prefix + "high-watermark (" + highWatermark + " bytes) must not exceed max-pending-bytes ("
                    + maxPendingBytes + " bytes)");
        }
        if (acceptBackoff.isNegative() || acceptBackoff.isZero() || acceptBackoffMax.compareTo(acceptBackoff) < 0) {
            problems.add(prefix + "accept-backoff must be positive and not above accept-backoff-max ("
                    + acceptBackoff + " / " + acceptBackoffMax + ")");
        }
        return problems;
    }

    /** True when the address is a loopback address; a non-loopback bind gets a warning. */
    public boolean isLoopback() {
        try {
            return InetAddress.getByName(address).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
