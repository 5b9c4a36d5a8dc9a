package io.verypoll.internal;

import io.verypoll.spi.ReadyList;
import java.nio.channels.SelectionKey;

/**
 * One selection key of a channel, its attachment: one per selector the channel was registered
 * with, so an entry deferred in one Poll never collides with the same channel's entry in another.
 */
final class KeyNode extends ReadyNode {
    final ChannelState state;
    final EdgeSelector selector;
    final SelectionKey key;

    KeyNode(ChannelState state, EdgeSelector selector, SelectionKey key) {
        this.state = state;
        this.selector = selector;
        this.key = key;
    }

    @Override
    void deliver(int bits, ReadyList out) {
        state.deliver(this, bits, out);
    }
}
