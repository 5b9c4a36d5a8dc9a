package io.verypoll.epoll;

import static io.verypoll.epoll.EdgeWord.R;
import static io.verypoll.epoll.EdgeWord.W;
import static org.assertj.core.api.Assertions.assertThat;

import io.verypoll.Interest;
import org.junit.jupiter.api.Test;

/** The state word's pure functions: what each transition keeps, arms, forgets and bumps. */
class EdgeWordTest {
    private static final Interest BOTH = Interest.READABLE.add(Interest.WRITABLE);

    @Test
    void aRegistrationArmsItsDirectionsAndBumpsTheGeneration() {
        long fresh = EdgeWord.initial(false);
        assertThat(EdgeWord.registered(fresh)).isFalse();
        long s = EdgeWord.registration(fresh, Interest.READABLE);
        assertThat(EdgeWord.registered(s)).isTrue();
        assertThat(EdgeWord.want(s)).isEqualTo(R);
        assertThat(EdgeWord.armed(s)).isEqualTo(R);
        assertThat(EdgeWord.priority(s)).isFalse();
        long again = EdgeWord.registration(s, Interest.READABLE);
        assertThat(again).as("same interests, another generation: an old CAS fails").isNotEqualTo(s);
        assertThat(EdgeWord.want(again)).isEqualTo(R);
        assertThat(EdgeWord.priority(EdgeWord.registration(s, Interest.READABLE.add(Interest.PRIORITY)))).isTrue();
    }

    @Test
    void deliveringDisarmsWhatIsOwedAndRemembersTheRestAsMissed() {
        long s = EdgeWord.registration(EdgeWord.initial(false), BOTH);
        long afterRead = EdgeWord.delivered(s, R, R);
        assertThat(EdgeWord.armed(afterRead)).isEqualTo(W);
        assertThat(EdgeWord.missedAny(afterRead, R)).isFalse();
        long edgeWhileDisarmed = EdgeWord.delivered(afterRead, R, 0);
        assertThat(EdgeWord.missedAny(edgeWhileDisarmed, R)).as("an edge while disarmed").isTrue();
        assertThat(EdgeWord.missedAny(edgeWhileDisarmed, W)).isFalse();

        long rearmed = EdgeWord.rearmed(edgeWhileDisarmed, R);
        assertThat(EdgeWord.armed(rearmed)).isEqualTo(R | W);
        assertThat(EdgeWord.missedAny(rearmed, R)).as("forgotten once re-armed").isFalse();
        assertThat(EdgeWord.want(rearmed)).isEqualTo(R | W);
    }

    @Test
    void aConnectKeepsItsBitAcrossRegistrationsAndEndsArmed() {
        long s = EdgeWord.registration(EdgeWord.initial(true), BOTH);
        assertThat(EdgeWord.connecting(s)).isTrue();
        long disarmed = EdgeWord.delivered(s, R | W, R | W);
        assertThat(EdgeWord.connecting(EdgeWord.unregistered(disarmed))).isTrue();
        long connected = EdgeWord.connected(EdgeWord.delivered(disarmed, R, 0));
        assertThat(EdgeWord.connecting(connected)).isFalse();
        assertThat(EdgeWord.armed(connected)).isEqualTo(R | W);
        assertThat(EdgeWord.missedAny(connected, R | W)).isFalse();
        assertThat(EdgeWord.registered(connected)).isTrue();
    }

    @Test
    void unregisteringClearsTheRegistrationAndBumpsTheGeneration() {
        long s = EdgeWord.registration(EdgeWord.initial(false), BOTH);
        long u = EdgeWord.unregistered(s);
        assertThat(EdgeWord.registered(u)).isFalse();
        assertThat(EdgeWord.unregistered(u)).as("each change is a new generation").isNotEqualTo(u);
    }

    @Test
    void theKernelWatchesTheRegisteredDirectionsEdgeTriggered() {
        int read = EdgeWord.kernelEvents(EdgeWord.registration(0, Interest.READABLE));
        assertThat(read & Libc.EPOLLET).isNotZero();
        assertThat(read & Libc.EPOLLRDHUP).isNotZero();
        assertThat(read & Libc.EPOLLIN).isNotZero();
        assertThat(read & (Libc.EPOLLOUT | Libc.EPOLLPRI)).isZero();
        int all = EdgeWord.kernelEvents(EdgeWord.registration(0, BOTH.add(Interest.PRIORITY)));
        assertThat(all & (Libc.EPOLLIN | Libc.EPOLLOUT | Libc.EPOLLPRI)).isEqualTo(Libc.EPOLLIN | Libc.EPOLLOUT | Libc.EPOLLPRI);
    }
}
