package io.verypoll.spring.boot.server;

import io.verypoll.spring.boot.loop.LoopRuntime;

import javax.net.ssl.SSLEngine;
import java.util.concurrent.Executor;

/**
 * The delegated tasks of a {@link TlsChannel}'s engine (key exchange, certificate checks): run off the
 * loop on the context's executor, after which the channel goes on, on its loop. Apart from the channel
 * because none of it runs on the read or write path.
 */
final class TlsDelegatedTasks implements Runnable {

    private final SSLEngine engine;
    private final Executor executor;
    private final LoopRuntime runtime;
    /** The channel's continuation, run on its loop once the tasks are done. */
    private final Runnable done;
    /** What a task threw, handed to the loop. */
    private volatile RuntimeException failure;

    TlsDelegatedTasks(SSLEngine engine, Executor executor, LoopRuntime runtime, Runnable done) {
        this.engine = engine;
        this.executor = executor;
        this.runtime = runtime;
        this.done = done;
    }

    /** Hands the tasks to the executor; throws its {@link java.util.concurrent.RejectedExecutionException}. */
    void start() {
        executor.execute(this);
    }

    /** Off the loop. */
    @Override
    public void run() {
        try {
            runInline(engine);
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            runtime.executeInternal(done); // false: the loop is gone, and the connection with it
        }
    }

    /** What a task threw, or null; read on the loop in {@link #done}, which runs after it was set. */
    RuntimeException failure() {
        return failure;
    }

    /** Runs the engine's tasks on the calling thread. */
    static void runInline(SSLEngine engine) {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            task.run();
        }
    }
}
