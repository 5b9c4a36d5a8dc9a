package io.verypoll.epoll;

import io.verypoll.Token;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** One waker of a poller: raised by {@code wake()}, lowered by the poll that reports it; wakes in between coalesce. */
final class WakeFlag {
    private static final VarHandle RAISED;

    static {
        try {
            RAISED = MethodHandles.lookup().findVarHandle(WakeFlag.class, "raised", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Token token;
    @SuppressWarnings("unused") // through RAISED
    private volatile int raised;

    WakeFlag(Token token) {
        this.token = token;
    }

    /** @return true if this call raised it (it was down) */
    boolean raise() {
        return RAISED.compareAndSet(this, 0, 1);
    }

    boolean isRaised() {
        return raised == 1;
    }

    boolean lower() {
        return RAISED.compareAndSet(this, 1, 0);
    }
}
