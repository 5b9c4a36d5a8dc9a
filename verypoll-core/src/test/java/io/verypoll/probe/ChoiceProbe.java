package io.verypoll.probe;

import io.verypoll.Events;
import io.verypoll.Interest;
import io.verypoll.Poll;
import io.verypoll.Token;
import io.verypoll.internal.SelectedBackend;
import io.verypoll.pipe.Pipe;
import java.nio.ByteBuffer;
import java.time.Duration;

/**
 * A main for the child JVMs of the backend-choice tests (in verypoll-epoll): one poll cycle, then
 * one line on standard output, "backend NAME works" or "failed: EXCEPTION". Compiled for Java 17
 * with the rest of this suite, so a Java 17 JVM can run it too; in a package of its own, so it runs
 * on the class path next to verypoll-core on the module path (a package cannot be split).
 */
public final class ChoiceProbe {
    private ChoiceProbe() {
    }

    public static void main(String[] args) {
        try (Poll poll = Poll.open()) {
            Pipe pipe = Pipe.open();
            poll.registry().register(pipe.receiver(), new Token(1), Interest.READABLE);
            pipe.sender().write(ByteBuffer.wrap(new byte[] {1}));
            Events events = Events.withCapacity(4);
            poll.poll(events, Duration.ofSeconds(5));
            if (events.size() != 1) {
                throw new AssertionError("no event: " + events);
            }
            pipe.sender().close();
            pipe.receiver().close();
            System.out.println("backend " + SelectedBackend.name() + " works");
        } catch (Throwable t) {
            System.out.println("failed: " + t);
        }
    }
}
