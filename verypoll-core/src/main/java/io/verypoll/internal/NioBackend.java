package io.verypoll.internal;

import io.verypoll.net.UnixAbstractAddress;
import io.verypoll.spi.Backend;
import io.verypoll.spi.IoSource;
import io.verypoll.spi.Poller;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Pipe;
import java.nio.channels.SelectableChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/** The backend on {@code java.nio.channels}: every JDK, every OS. The default. */
public final class NioBackend implements Backend {
    @Override
    public String name() {
        return "nio";
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    @Override
    public Poller openPoller() throws IOException {
        return new EdgeSelector();
    }

    @Override
    public IoSource tcpBind(java.net.SocketAddress address, int backlog, boolean reusePort) throws IOException {
        ServerSocketChannel channel = ServerSocketChannel.open();
        try {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            if (reusePort) {
                if (!channel.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT)) {
                    throw new UnsupportedOperationException("SO_REUSEPORT is not supported on this platform");
                }
                channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            }
            channel.bind(address, backlog);
            return new NioSource(channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public IoSource tcpConnect(java.net.SocketAddress address) throws IOException {
        return connect(SocketChannel.open(), address);
    }

    private static IoSource connect(SocketChannel channel, java.net.SocketAddress address) throws IOException {
        try {
            channel.configureBlocking(false);
            channel.connect(address);
            return new NioSource(channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public IoSource udpBind(java.net.SocketAddress address) throws IOException {
        boolean v6 = address instanceof InetSocketAddress && ((InetSocketAddress) address).getAddress() instanceof Inet6Address;
        // The family follows the address, so IPv4 multicast works on an IPv4 socket.
        DatagramChannel channel = DatagramChannel.open(v6 ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
        try {
            channel.bind(address);
            return new NioSource(channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public IoSource unixBind(SocketAddress address, int backlog) throws IOException {
        checkNotAbstract(address, "UnixListener.bind");
        ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.bind(address, backlog);
            return new NioSource(channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public IoSource unixConnect(SocketAddress address) throws IOException {
        checkNotAbstract(address, "UnixStream.connect");
        return connect(SocketChannel.open(StandardProtocolFamily.UNIX), address);
    }

    /** The JDK's Unix-domain channels take file paths only. */
    private static void checkNotAbstract(SocketAddress address, String what) {
        if (address instanceof UnixAbstractAddress) {
            throw IoSource.needsEpoll(what + " with a UnixAbstractAddress",
                    "a JDK Unix-domain channel binds and connects to file paths only (UnixDomainSocketAddress cannot name Linux's abstract namespace)");
        }
    }

    /** NIO has no {@code socketpair}: connects through a listener on a private temporary path, deleted before returning. */
    @Override
    public IoSource[] unixPair() throws IOException {
        Path dir = Files.createTempDirectory("verypoll-pair");
        Path path = dir.resolve("s");
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(path), 1);
            SocketChannel a = SocketChannel.open(UnixDomainSocketAddress.of(path));
            try {
                SocketChannel b = listener.accept();
                return new IoSource[] {new NioSource(a), new NioSource(b)};
            } catch (IOException | RuntimeException e) {
                a.close();
                throw e;
            }
        } finally {
            Files.deleteIfExists(path);
            Files.deleteIfExists(dir);
        }
    }

    @Override
    public IoSource[] pipe() throws IOException {
        Pipe pipe = Pipe.open();
        try {
            return new IoSource[] {new NioSource(pipe.source()), new NioSource(pipe.sink())};
        } catch (IOException | RuntimeException e) {
            pipe.sink().close();
            pipe.source().close();
            throw e;
        }
    }

    @Override
    public IoSource adopt(SelectableChannel channel) throws IOException {
        return new NioSource(channel);
    }

    @Override
    public IoSource watch(SelectableChannel channel) throws IOException {
        return new NioSource(channel);
    }

    @Override
    public IoSource watch(int fd) {
        throw new UnsupportedOperationException("FdSource needs the epoll backend (-Dverypoll.backend=epoll, Linux, Java 22+);"
                + " on the nio backend wrap a SelectableChannel with ChannelSource instead");
    }
}
