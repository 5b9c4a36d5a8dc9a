package io.verypoll.internal;

import io.verypoll.Token;
import io.verypoll.spi.Readiness;
import io.verypoll.spi.ReadyList;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** One waker's state: raised by {@code Waker.wake()}, lowered when the poll reports it. */
public final class WakeFlag extends ReadyNode {
    private static final VarHandle RAISED;

    static {
        try {
            RAISED = MethodHandles.lookup().findVarHandle(WakeFlag.class, "raised", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Token token;
    @SuppressWarnings("unused") // accessed through RAISED
    private volatile int raised;

    WakeFlag(Token token) {
        this.token = token;
    }

    /** @return true if this call raised the flag (it was down). */
    boolean raise() {
        return RAISED.compareAndSet(this, 0, 1);
    }

    boolean isRaised() {
        return raised == 1;
    }

    boolean lower() {
        return RAISED.compareAndSet(this, 1, 0);
    }

    /** Reports the waker if it is still raised (the poll thread is the only one to lower it). */
    @Override
    void deliver(int bits, ReadyList out) {
        if (lower()) {
            out.add(token, Readiness.READABLE);
        }
    }
}
