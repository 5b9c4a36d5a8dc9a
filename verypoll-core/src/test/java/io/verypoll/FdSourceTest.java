package io.verypoll;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** FdSource (mio's SourceFd for raw descriptors) needs a backend that watches descriptors: not NIO. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class FdSourceTest {
    @Test
    void negativeDescriptorIsRefused() {
        assertThatThrownBy(() -> FdSource.of(-1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
    }

    @Test
    void nioCannotWatchARawDescriptor() {
        org.junit.jupiter.api.Assumptions.assumeTrue(TestUtil.nio(), "the epoll module tests FdSource on epoll");
        assertThatThrownBy(() -> FdSource.of(0)).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("epoll backend").hasMessageContaining("ChannelSource");
    }
}
