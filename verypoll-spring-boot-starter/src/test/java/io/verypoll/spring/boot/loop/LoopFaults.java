package io.verypoll.spring.boot.loop;

import java.io.IOException;

/** Faults of the loop machinery itself, which no handler can cause, for tests in other packages. */
public final class LoopFaults {

    private LoopFaults() {
    }

    /** Closes the loop's poll under it: its next poll fails and the loop is marked failed. */
    public static void breakPoll(PollLoop loop) throws IOException {
        loop.poll().close();
    }
}
