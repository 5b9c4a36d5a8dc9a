package io.verypoll.spring.boot.autoconfigure;

import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.server.ServerSetting;
import io.verypoll.spring.boot.server.ServerSettings;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Configuration of verypoll's poll loops and servers. Validated when bound: a bad value stops the
 * application at startup with a message naming the property.
 */
@ConfigurationProperties("verypoll")
public class VerypollProperties implements Validator {

    /** Most loops a group may have (the loop index is 8 bits of the token). */
    static final int MAX_LOOPS = 256;

    /** Whether to auto-configure verypoll's poll loops and start its servers. */
    private boolean enabled = true;

    /** Number of poll loop threads (verypoll-loop-N). Defaults to the number of available processors. */
    private Integer loops;

    /** Events one poll call can return per loop. */
    private int eventsCapacity = 1024;

    /** A loop iteration longer than this counts as blocked: logged with the loop's stack, counted, health DOWN while it lasts. */
    private Duration blockedThreshold = Duration.ofSeconds(2);

    /** How often the watchdog looks for blocked loops. */
    private Duration blockedCheckInterval = Duration.ofSeconds(1);

    /** Most queued tasks a loop runs per iteration, so that a flood of tasks does not starve I/O. */
    private int maxTasksPerIteration = 1024;

    /**
     * Most tasks (execute, schedule from other threads) waiting per loop. Beyond it execute throws
     * RejectedExecutionException and tryExecute returns false, counted in verypoll.loop.tasks.rejected.
     */
    private int maxPendingTasks = PollLoopGroup.DEFAULT_MAX_PENDING_TASKS;

    /**
     * How long a graceful shutdown lets connections finish writing before closing them. Keep it below
     * spring.lifecycle.timeout-per-shutdown-phase; 0 closes at once (handy in tests).
     */
    private Duration shutdownTimeout = Duration.ofSeconds(20);

    /** Per-server settings, keyed by server (bean) name; they override what the server bean says. */
    private Map<String, Server> servers = new LinkedHashMap<>();

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public Integer getLoops() {
        return loops;
    }

    public void setLoops(Integer loops) {
        this.loops = loops;
    }

    public int getEventsCapacity() {
        return eventsCapacity;
    }

    public void setEventsCapacity(int eventsCapacity) {
        this.eventsCapacity = eventsCapacity;
    }

    public Duration getBlockedThreshold() {
        return blockedThreshold;
    }

    public void setBlockedThreshold(Duration blockedThreshold) {
        this.blockedThreshold = blockedThreshold;
    }

    public Duration getBlockedCheckInterval() {
        return blockedCheckInterval;
    }

    public void setBlockedCheckInterval(Duration blockedCheckInterval) {
        this.blockedCheckInterval = blockedCheckInterval;
    }

    public int getMaxTasksPerIteration() {
        return maxTasksPerIteration;
    }

    public void setMaxTasksPerIteration(int maxTasksPerIteration) {
        this.maxTasksPerIteration = maxTasksPerIteration;
    }

    public int getMaxPendingTasks() {
        return maxPendingTasks;
    }

    public void setMaxPendingTasks(int maxPendingTasks) {
        this.maxPendingTasks = maxPendingTasks;
    }

    public Duration getShutdownTimeout() {
        return shutdownTimeout;
    }

    public void setShutdownTimeout(Duration shutdownTimeout) {
        this.shutdownTimeout = shutdownTimeout;
    }

    public Map<String, Server> getServers() {
        return servers;
    }

    public void setServers(Map<String, Server> servers) {
        this.servers = servers;
    }

    /** The loop group settings these properties describe. */
    public PollLoopGroup.Settings toLoopSettings() {
        int count = loops != null ? loops : Runtime.getRuntime().availableProcessors();
        return new PollLoopGroup.Settings(count, eventsCapacity, blockedThreshold, blockedCheckInterval,
                maxTasksPerIteration, maxPendingTasks);
    }

    @Override
    public boolean supports(Class<?> type) {
        return VerypollProperties.class.isAssignableFrom(type);
    }

    @Override
    public void validate(Object target, Errors errors) {
        VerypollProperties p = (VerypollProperties) target;
        if (p.loops != null && (p.loops < 1 || p.loops > MAX_LOOPS)) {
            errors.rejectValue("loops", "range", "must be between 1 and " + MAX_LOOPS + ", was " + p.loops);
        }
        if (p.eventsCapacity < 1) {
            errors.rejectValue("eventsCapacity", "range", "must be at least 1, was " + p.eventsCapacity);
        }
        if (isNotPositive(p.blockedThreshold)) {
            errors.rejectValue("blockedThreshold", "range", "must be positive, was " + p.blockedThreshold);
        }
        if (isNotPositive(p.blockedCheckInterval)) {
            errors.rejectValue("blockedCheckInterval", "range", "must be positive, was " + p.blockedCheckInterval);
        }
        if (p.maxTasksPerIteration < 1) {
            errors.rejectValue("maxTasksPerIteration", "range", "must be at least 1, was " + p.maxTasksPerIteration);
        }
        if (p.maxPendingTasks < 1) {
            errors.rejectValue("maxPendingTasks", "range", "must be at least 1, was " + p.maxPendingTasks);
        }
        if (p.shutdownTimeout == null || p.shutdownTimeout.isNegative()) {
            errors.rejectValue("shutdownTimeout", "range", "must not be negative, was " + p.shutdownTimeout);
        }
        p.servers.forEach((name, server) -> server.validate("servers[" + name + "].", errors));
    }

    private static boolean isNotPositive(Duration d) {
        return d == null || d.isNegative() || d.isZero();
    }

    /** Settings of one server; each one set here replaces the server bean's own. */
    public static class Server {

        /** Host or IP address to bind. Anything but loopback logs a warning. */
        private String address;

        /** Port to bind; 0 picks a free port (published as local.verypoll.<name>.port). */
        private Integer port;

        /** Socket file of a Unix-domain server. */
        private String path;

        /** Length of the accept queue asked of the kernel. */
        private Integer backlog;

        /** Open connections above which new ones are accepted and closed at once (counted as rejected). */
        private Integer maxConnections;

        /** Close a connection after this long without reads or writes; 0 disables. */
        private Duration idleTimeout;

        /**
         * After a graceful close has sent everything and its end of stream, the connection reads and
         * discards until the peer closes too or has been quiet this long: closing on unread input would
         * reset the connection and lose the last bytes. 0 closes at once.
         */
        private Duration lingerTimeout;

        /** Pending (unsent) bytes above which a connection stops reading. */
        private DataSize highWatermark;

        /** Pending bytes at or below which a paused connection reads again. */
        private DataSize lowWatermark;

        /** Pending bytes above which a connection is closed (a reader too slow to keep). */
        private DataSize maxPendingBytes;

        /** Whether to disable Nagle's algorithm on accepted TCP connections. */
        private Boolean tcpNoDelay;

        public String getAddress() {
            return address;
        }

        public void setAddress(String address) {
            this.address = address;
        }

        public Integer getPort() {
            return port;
        }

        public void setPort(Integer port) {
            this.port = port;
        }

        public String getPath() {
            return path;
        }

        public void setPath(String path) {
            this.path = path;
        }

        public Integer getBacklog() {
            return backlog;
        }

        public void setBacklog(Integer backlog) {
            this.backlog = backlog;
        }

        public Integer getMaxConnections() {
            return maxConnections;
        }

        public void setMaxConnections(Integer maxConnections) {
            this.maxConnections = maxConnections;
        }

        public Duration getIdleTimeout() {
            return idleTimeout;
        }

        public void setIdleTimeout(Duration idleTimeout) {
            this.idleTimeout = idleTimeout;
        }

        public Duration getLingerTimeout() {
            return lingerTimeout;
        }

        public void setLingerTimeout(Duration lingerTimeout) {
            this.lingerTimeout = lingerTimeout;
        }

        public DataSize getHighWatermark() {
            return highWatermark;
        }

        public void setHighWatermark(DataSize highWatermark) {
            this.highWatermark = highWatermark;
        }

        public DataSize getLowWatermark() {
            return lowWatermark;
        }

        public void setLowWatermark(DataSize lowWatermark) {
            this.lowWatermark = lowWatermark;
        }

        public DataSize getMaxPendingBytes() {
            return maxPendingBytes;
        }

        public void setMaxPendingBytes(DataSize maxPendingBytes) {
            this.maxPendingBytes = maxPendingBytes;
        }

        public Boolean getTcpNoDelay() {
            return tcpNoDelay;
        }

        public void setTcpNoDelay(Boolean tcpNoDelay) {
            this.tcpNoDelay = tcpNoDelay;
        }

        /** {@code base} with every setting given here replacing the base's. */
        public ServerSettings applyTo(ServerSettings base) {
            ServerSettings s = base;
            if (address != null) {
                s = s.with(ServerSetting.ADDRESS, address);
            }
            if (port != null) {
                s = s.with(ServerSetting.PORT, port);
            }
            if (path != null) {
                s = s.with(ServerSetting.PATH, path);
            }
            if (backlog != null) {
                s = s.with(ServerSetting.BACKLOG, backlog);
            }
            if (maxConnections != null) {
                s = s.with(ServerSetting.MAX_CONNECTIONS, maxConnections);
            }
            if (idleTimeout != null) {
                s = s.with(ServerSetting.IDLE_TIMEOUT, idleTimeout);
            }
            if (lingerTimeout != null) {
                s = s.with(ServerSetting.LINGER_TIMEOUT, lingerTimeout);
            }
            if (highWatermark != null) {
                s = s.with(ServerSetting.HIGH_WATERMARK, highWatermark.toBytes());
            }
            if (lowWatermark != null) {
                s = s.with(ServerSetting.LOW_WATERMARK, lowWatermark.toBytes());
            }
            if (maxPendingBytes != null) {
                s = s.with(ServerSetting.MAX_PENDING_BYTES, maxPendingBytes.toBytes());
            }
            if (tcpNoDelay != null) {
                s = s.with(ServerSetting.TCP_NO_DELAY, tcpNoDelay);
            }
            return s;
        }

        void validate(String prefix, Errors errors) {
            if (port != null && (port < 0 || port > 65535)) {
                errors.rejectValue(prefix + "port", "range", "must be between 0 and 65535, was " + port);
            }
            if (backlog != null && backlog < 1) {
                errors.rejectValue(prefix + "backlog", "range", "must be at least 1, was " + backlog);
            }
            if (maxConnections != null && maxConnections < 1) {
                errors.rejectValue(prefix + "maxConnections", "range", "must be at least 1, was " + maxConnections);
            }
            if (idleTimeout != null && idleTimeout.isNegative()) {
                errors.rejectValue(prefix + "idleTimeout", "range", "must not be negative, was " + idleTimeout);
            }
            if (lingerTimeout != null && lingerTimeout.isNegative()) {
                errors.rejectValue(prefix + "lingerTimeout", "range", "must not be negative, was " + lingerTimeout);
            }
            if (lowWatermark != null && highWatermark != null && lowWatermark.compareTo(highWatermark) >= 0) {
                errors.rejectValue(prefix + "lowWatermark", "order",
                        "must be lower than high-watermark (" + highWatermark + "), was " + lowWatermark);
            }
            if (highWatermark != null && maxPendingBytes != null && highWatermark.compareTo(maxPendingBytes) > 0) {
                errors.rejectValue(prefix + "highWatermark", "order",
                        "must not exceed max-pending-bytes (" + maxPendingBytes + "), was " + highWatermark);
            }
        }
    }
}
