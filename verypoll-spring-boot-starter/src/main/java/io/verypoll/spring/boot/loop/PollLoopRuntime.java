package io.verypoll.spring.boot.loop;

import java.nio.ByteBuffer;

/**
 * A {@link PollLoop}'s face for servers ({@link PollLoop#runtime()}): reads the loop's fields and
 * queues directly, with nothing of its own, so that a connection's read path costs what a call on
 * the loop would.
 */
final class PollLoopRuntime implements LoopRuntime {

    private final PollLoop loop;
    private final LoopQueues queues;
    private final LoopGuard guard;

    PollLoopRuntime(PollLoop loop, LoopQueues queues, LoopGuard guard) {
        this.loop = loop;
        this.queues = queues;
        this.guard = guard;
    }

    @Override
    public ByteBuffer readBuffer() {
        return loop.readBuffer;
    }

    @Override
    public long now() {
        return loop.nowNanos;
    }

    @Override
    public void armTimer(LoopTimer timer, long deadlineNanos) {
        queues.arm(timer, deadlineNanos);
    }

    @Override
    public void cancelTimer(LoopTimer timer) {
        queues.cancel(timer);
    }

    @Override
    public void runLater(Runnable continuation) {
        queues.runLater(continuation);
    }

    @Override
    public boolean executeInternal(Runnable task) {
        return loop.counted(queues.offerInternal(task)) == LoopTaskQueue.Offer.ACCEPTED;
    }

    @Override
    public void recordHandlerError(Throwable error) {
        guard.handlerError(error);
    }
}
