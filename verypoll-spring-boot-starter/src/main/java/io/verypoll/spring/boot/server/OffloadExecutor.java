package io.verypoll.spring.boot.server;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where one server's offloaded work runs: the builder's executor, else the one the starter passes
 * (Boot's {@code applicationTaskExecutor}), else a pool of the server's own, made at the first offload
 * and shut down with the server. The pool is the last resort, for servers started outside a Boot
 * context or in one without an {@code applicationTaskExecutor}: {@value #OWN_THREADS} daemon platform
 * threads {@code verypoll-offload-<server>-N}, idle ones ending after 30 s, and an unbounded queue
 * (each connection's {@code max-in-flight} bounds what it can add).
 */
final class OffloadExecutor {

    private static final Log log = LogFactory.getLog(StreamServer.class);

    static final int OWN_THREADS = 16;

    private final Executor configured;
    private volatile Executor fromStarter;
    private final Object lock = new Object();
    private volatile ThreadPoolExecutor own;

    OffloadExecutor(Executor configured) {
        this.configured = configured;
    }

    /** The builder's executor, else the starter's; null when neither (the server's own pool is then used). */
    Executor chosen() {
        return configured != null ? configured : fromStarter;
    }

    void fromStarter(Executor executor) {
        fromStarter = executor;
    }

    /** The executor to run work on now: {@link #chosen()}, or the server's own pool, made here at first use. */
    Executor forUse(String server) {
        Executor chosen = chosen();
        if (chosen != null) {
            return chosen;
        }
        ThreadPoolExecutor pool = own;
        if (pool == null) {
            synchronized (lock) {
                pool = own;
                if (pool == null) {
                    own = pool = ownPool(server);
                    log.info("server '" + server + "' offloads to a pool of its own (" + OWN_THREADS + " threads): give"
                            + " its builder an offloadExecutor(...), or run it in a Boot context with an"
                            + " applicationTaskExecutor");
                }
            }
        }
        return pool;
    }

    private static ThreadPoolExecutor ownPool(String server) {
        AtomicInteger count = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(OWN_THREADS, OWN_THREADS, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), work -> {
                    Thread thread = new Thread(work, "verypoll-offload-" + server + "-" + count.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /** The server stopped: its own pool (if it made one) is shut down; waits up to {@code timeout} for its threads. */
    void shutdownOwn(Duration timeout) {
        ThreadPoolExecutor pool;
        synchronized (lock) {
            pool = own;
            own = null;
        }
        if (pool == null) {
            return;
        }
        pool.shutdownNow(); // what it still ran was cancelled with its connection already
        try {
            if (!pool.awaitTermination(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS)) {
                log.warn("offloaded work ignored its interrupt and still runs after the server stopped");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
