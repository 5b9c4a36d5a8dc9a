package io.verypoll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Poll#useBackend} once the JVM has its backend (this suite runs on either): the same name
 * or auto is accepted, the other backend is refused with a message naming both, a bad name is an
 * argument error. A fresh JVM choosing through it is tested in verypoll-epoll (BackendChoiceTest).
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class BackendRequestTest {

    @Test
    void theBackendInUseIsNamed() throws Exception {
        try (Poll poll = Poll.open()) {
            assertThat(Poll.backend()).isIn("nio", "epoll").isEqualTo(System.getProperty("verypoll.backend", "nio"));
        }
    }

    @Test
    void askingForTheBackendInUseOrAutoKeepsIt() throws Exception {
        try (Poll poll = Poll.open()) {
            String inUse = Poll.backend();
            assertThat(Poll.useBackend(inUse)).isEqualTo(inUse);
            assertThat(Poll.useBackend(" " + inUse.toUpperCase() + " ")).isEqualTo(inUse);
            assertThat(Poll.useBackend("auto")).isEqualTo(inUse);
            assertThat(Poll.backend()).isEqualTo(inUse);
        }
    }

    @Test
    void askingForTheOtherBackendOnceOneIsInUseFails() throws Exception {
        try (Poll poll = Poll.open()) {
            String inUse = Poll.backend();
            String other = inUse.equals("nio") ? "epoll" : "nio";
            assertThatThrownBy(() -> Poll.useBackend(other)).isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("verypoll.backend=" + other + " cannot be applied: this JVM already uses the "
                            + inUse + " backend");
            assertThat(Poll.backend()).isEqualTo(inUse);
        }
    }

    @Test
    void anUnknownNameIsRefused() {
        assertThatThrownBy(() -> Poll.useBackend("kqueue")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("verypoll.backend=kqueue is not a backend; use nio, epoll or auto");
        assertThatThrownBy(() -> Poll.useBackend(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
