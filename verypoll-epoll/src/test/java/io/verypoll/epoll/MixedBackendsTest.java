package io.verypoll.epoll;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.verypoll.Interest;
import io.verypoll.Token;
import io.verypoll.internal.NioBackend;
import io.verypoll.spi.IoSource;
import io.verypoll.spi.Poller;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One backend serves a JVM, so the public API cannot mix them; the seam still refuses a source of
 * one backend on a poller of the other, with a message that says so.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class MixedBackendsTest {
    @Test
    void anEpollSourceOnANioPoller() throws Exception {
        IoSource[] pipe = new EpollBackend().pipe();
        try (Poller nio = new NioBackend().openPoller()) {
            assertThatThrownBy(() -> pipe[0].register(nio, new Token(1), Interest.READABLE))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("source of the epoll backend").hasMessageContaining("Poll of the nio backend");
        } finally {
            pipe[0].close();
            pipe[1].close();
        }
    }

    @Test
    void aNioSourceOnAnEpollPoller() throws Exception {
        IoSource[] pipe = new NioBackend().pipe();
        try (Poller epoll = new EpollBackend().openPoller()) {
            assertThatThrownBy(() -> pipe[0].register(epoll, new Token(1), Interest.READABLE))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("source of the nio backend").hasMessageContaining("Poll of the epoll backend");
        } finally {
            pipe[0].close();
            pipe[1].close();
        }
    }
}
