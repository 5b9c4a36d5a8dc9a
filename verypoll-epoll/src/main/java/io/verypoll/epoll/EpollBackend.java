package io.verypoll.epoll;

import io.verypoll.spi.Backend;
import io.verypoll.spi.IoSource;
import io.verypoll.spi.Poller;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SelectableChannel;

/**
 * The epoll backend, as the service verypoll-core loads: {@code -Dverypoll.backend=epoll} (or
 * {@code auto}). Creating it touches nothing native; {@link #unavailableReason()} checks native
 * access before anything links libc, so the JDK never prints its restricted-method warning.
 */
public final class EpollBackend implements Backend {
    public EpollBackend() {
    }

    @Override
    public String name() {
        return "epoll";
    }

    @Override
    public String unavailableReason() {
        String os = System.getProperty("os.name", "");
        String arch = System.getProperty("os.arch", "");
        if (!os.startsWith("Linux") || !(arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"))) {
            return "it runs on Linux x86_64 and aarch64 only, and this is " + os + " " + arch;
        }
        Module module = EpollBackend.class.getModule();
        if (!module.isNativeAccessEnabled()) {
            return "native access is not enabled for " + (module.isNamed()
                    ? "module io.verypoll.epoll: run java with --enable-native-access=io.verypoll.epoll"
                    : "the class path: run java with --enable-native-access=ALL-UNNAMED")
                    + " (or put Enable-Native-Access: ALL-UNNAMED in the manifest of the jar that java -jar launches)";
        }
        try {
            Libc.strerror(Libc.EAGAIN); // links libc: a missing symbol shows here, not at the first poll
        } catch (LinkageError | RuntimeException e) {
            return "libc could not be linked: " + e;
        }
        return null;
    }

    @Override
    public Poller openPoller() throws IOException {
        return new EpollPoller();
    }

    @Override
    public IoSource tcpBind(SocketAddress address, int backlog, boolean reusePort) throws IOException {
        return Sockets.tcpBind(address, backlog, reusePort);
    }

    @Override
    public IoSource tcpConnect(SocketAddress address) throws IOException {
        return Sockets.tcpConnect(address);
    }

    @Override
    public IoSource udpBind(SocketAddress address) throws IOException {
        return Sockets.udpBind(address);
    }

    @Override
    public IoSource unixBind(SocketAddress address, int backlog) throws IOException {
        return Sockets.unixBind(address, backlog);
    }

    @Override
    public IoSource unixConnect(SocketAddress address) throws IOException {
        return Sockets.unixConnect(address);
    }

    @Override
    public IoSource[] unixPair() throws IOException {
        return Sockets.unixPair();
    }

    @Override
    public IoSource unixDatagram(SocketAddress address) throws IOException {
        return Sockets.unixDatagram(address);
    }

    @Override
    public IoSource[] unixDatagramPair() throws IOException {
        return Sockets.unixDatagramPair();
    }

    @Override
    public IoSource[] pipe() throws IOException {
        return Sockets.pipe();
    }

    /** The epoll backend owns its sockets as raw descriptors: it cannot take over a JDK channel. */
    @Override
    public IoSource adopt(SelectableChannel channel) {
        throw new UnsupportedOperationException("fromChannel needs the nio backend (-Dverypoll.backend=nio): the epoll"
                + " backend owns its sockets as raw descriptors and cannot take over a JDK channel; use bind or connect");
    }

    @Override
    public IoSource watch(SelectableChannel channel) throws IOException {
        return WatchedSource.of(channel);
    }

    @Override
    public IoSource watch(int fd) {
        return WatchedSource.of(fd);
    }
}
