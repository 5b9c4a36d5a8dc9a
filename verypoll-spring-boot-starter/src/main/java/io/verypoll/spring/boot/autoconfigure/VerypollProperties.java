package io.verypoll.spring.boot.autoconfigure;

import io.verypoll.spring.boot.context.VerypollBackendSelector;
import io.verypoll.spring.boot.context.VerypollGracefulShutdown;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

import java.time.Duration;

/**
 * Configuration of verypoll's poll loops. Validated when bound: a bad value stops the application at
 * startup with a message naming the property. The servers' {@code verypoll.servers.<name>.*} are
 * bound from their declarations ({@link VerypollServerProperties}).
 */
@ConfigurationProperties("verypoll")
public class VerypollProperties implements Validator {

    /** Whether to auto-configure verypoll's poll loops and start its servers. */
    private boolean enabled = true;

    /**
     * Backend of verypoll-core for this JVM: nio (java.nio Selectors), epoll (Linux, Java 22+, verypoll-epoll
     * on the class path, --enable-native-access) or auto (epoll where it works, else nio). Applied before any
     * bean exists; a JVM has one backend, so startup fails if it already uses the other one. Unset: the core's
     * -Dverypoll.backend, else nio. Applies even with verypoll.enabled=false.
     */
    private VerypollBackendSelector.Backend backend;

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

    /**
     * Shutdown mode, as Boot's server.shutdown: graceful stops accepting when the context closes and
     * lets connections finish (beside the web server's drain); immediate closes them at once.
     */
    private VerypollGracefulShutdown.ShutdownMode shutdown = VerypollGracefulShutdown.ShutdownMode.GRACEFUL;

    /** Whether binding a server beyond loopback is intended; true silences the startup warning. */
    private boolean nonLoopbackAcknowledged;

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public VerypollBackendSelector.Backend getBackend() {
        return backend;
    }

    public void setBackend(VerypollBackendSelector.Backend backend) {
        this.backend = backend;
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

    public VerypollGracefulShutdown.ShutdownMode getShutdown() {
        return shutdown;
    }

    public void setShutdown(VerypollGracefulShutdown.ShutdownMode shutdown) {
        this.shutdown = shutdown;
    }

    public boolean isNonLoopbackAcknowledged() {
        return nonLoopbackAcknowledged;
    }

    public void setNonLoopbackAcknowledged(boolean nonLoopbackAcknowledged) {
        this.nonLoopbackAcknowledged = nonLoopbackAcknowledged;
    }

    public Duration getShutdownTimeout() {
        return shutdownTimeout;
    }

    public void setShutdownTimeout(Duration shutdownTimeout) {
        this.shutdownTimeout = shutdownTimeout;
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
        if (p.loops != null && (p.loops < 1 || p.loops > PollLoopGroup.MAX_LOOPS)) {
            errors.rejectValue("loops", "range", "must be between 1 and " + PollLoopGroup.MAX_LOOPS + ", was " + p.loops);
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
    }

    private static boolean isNotPositive(Duration d) {
        return d == null || d.isNegative() || d.isZero();
    }
}
