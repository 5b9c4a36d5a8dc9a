package io.verypoll.internal;

import java.nio.channels.SelectionKey;

/** One selection key of a channel, its attachment: one per selector the channel was registered with. */
final class KeyNode {
    final ChannelState state;
    final EdgeSelector selector;
    final SelectionKey key;

    KeyNode(ChannelState state, EdgeSelector selector, SelectionKey key) {
        this.state = state;
        this.selector = selector;
        this.key = key;
    }

    void deliver(int bits, ReadyList out) {
        state.deliver(this, bits, out);
    }
}
