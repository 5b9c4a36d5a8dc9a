package io.verypoll.epoll;

import static org.assertj.core.api.Assertions.assertThat;

import io.verypoll.Poll;
import io.verypoll.TestUtil;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The contract suite in this module runs against the epoll backend, not silently against NIO. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class BackendInUseTest {
    @Test
    void theSuiteRunsOnEpoll() throws Exception {
        assertThat(System.getProperty("verypoll.backend")).isEqualTo("epoll");
        assertThat(TestUtil.backend()).isEqualTo("epoll");
        try (Poll poll = Poll.open()) {
            // A Poll of this backend holds one epoll fd and one eventfd.
            assertThat(TestUtil.fdListing()).contains("anon_inode:[eventpoll]").contains("anon_inode:[eventfd]");
        }
    }
}
