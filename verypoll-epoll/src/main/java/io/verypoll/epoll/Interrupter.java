package io.verypoll.epoll;

import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.AbstractSelectableChannel;
import java.nio.channels.spi.AbstractSelector;
import java.nio.channels.spi.SelectorProvider;
import java.util.Set;

/**
 * Not a selector: the public way to hear of {@link Thread#interrupt()} during a blocking native
 * call. Between {@link #enter()} and {@link #exit()} (the JDK's {@code begin()} and {@code end()}),
 * an interrupt of the thread calls {@link #wakeup()}, which writes the poller's eventfd; {@code
 * begin()} calls it at once if the thread is interrupted already. Every other method is unused.
 */
final class Interrupter extends AbstractSelector {
    private final EpollPoller poller;

    Interrupter(EpollPoller poller) {
        super(SelectorProvider.provider());
        this.poller = poller;
    }

    void enter() {
        begin();
    }

    void exit() {
        end();
    }

    @Override
    public Selector wakeup() {
        poller.signal();
        return this;
    }

    private static UnsupportedOperationException unused() {
        return new UnsupportedOperationException("only hears interrupts for an epoll poller");
    }

    @Override
    protected void implCloseSelector() {
    }

    @Override
    protected SelectionKey register(AbstractSelectableChannel ch, int ops, Object att) {
        throw unused();
    }

    @Override
    public Set<SelectionKey> keys() {
        throw unused();
    }

    @Override
    public Set<SelectionKey> selectedKeys() {
        throw unused();
    }

    @Override
    public int selectNow() {
        throw unused();
    }

    @Override
    public int select(long timeout) {
        throw unused();
    }

    @Override
    public int select() {
        throw unused();
    }
}
