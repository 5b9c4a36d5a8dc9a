package io.verypoll.epoll;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.net.SocketOption;
import java.net.StandardSocketOptions;

/**
 * The {@link StandardSocketOptions} NIO's socket channels support, as {@code setsockopt} and
 * {@code getsockopt}. Multicast options take the IPv6 names on an IPv6 socket.
 */
final class SocketOptions {
    private SocketOptions() {
    }

    /** Level and name of {@code option} on a socket of {@code family}. */
    private static int[] where(SocketOption<?> option, int family) {
        boolean v6 = family == Libc.AF_INET6;
        if (option == StandardSocketOptions.TCP_NODELAY) {
            return new int[] {Libc.IPPROTO_TCP, Libc.TCP_NODELAY};
        } else if (option == StandardSocketOptions.SO_REUSEADDR) {
            return new int[] {Libc.SOL_SOCKET, Libc.SO_REUSEADDR};
        } else if (option == StandardSocketOptions.SO_REUSEPORT) {
            return new int[] {Libc.SOL_SOCKET, Libc.SO_REUSEPORT};
        } else if (option == StandardSocketOptions.SO_BROADCAST) {
            return new int[] {Libc.SOL_SOCKET, Libc.SO_BROADCAST};
        } else if (option == StandardSocketOptions.SO_KEEPALIVE) {
            return new int[] {Libc.SOL_SOCKET, Libc.SO_KEEPALIVE};
        } else if (option == StandardSocketOptions.SO_SNDBUF) {
            return new int[] {Libc.SOL_SOCKET, Libc.SO_SNDBUF};
        } else if (option == StandardSocketOptions.SO_RCVBUF) {
            return new int[] {Libc.SOL_SOCKET, Libc.SO_RCVBUF};
        } else if (option == StandardSocketOptions.SO_LINGER) {
            return new int[] {Libc.SOL_SOCKET, Libc.SO_LINGER};
        } else if (option == StandardSocketOptions.IP_TOS && !v6) {
            return new int[] {Libc.IPPROTO_IP, Libc.IP_TOS};
        } else if (option == StandardSocketOptions.IP_MULTICAST_TTL) {
            return v6 ? new int[] {Libc.IPPROTO_IPV6, Libc.IPV6_MULTICAST_HOPS} : new int[] {Libc.IPPROTO_IP, Libc.IP_MULTICAST_TTL};
        } else if (option == StandardSocketOptions.IP_MULTICAST_LOOP) {
            return v6 ? new int[] {Libc.IPPROTO_IPV6, Libc.IPV6_MULTICAST_LOOP} : new int[] {Libc.IPPROTO_IP, Libc.IP_MULTICAST_LOOP};
        }
        throw new UnsupportedOperationException("'" + option.name() + "' is not supported by the epoll backend");
    }

    static <T> void set(Fd fd, int family, SocketOption<T> option, T value) throws IOException {
        int[] at = where(option, family);
        if (value == null) {
            throw new IllegalArgumentException("Invalid value 'null'");
        }
        if (option == StandardSocketOptions.SO_LINGER) {
            int seconds = (Integer) value;
            // struct linger { int l_onoff; int l_linger; }: a negative value turns it off, as in NIO.
            setStruct(fd, at[0], at[1], seconds < 0 ? 0 : 1, Math.max(seconds, 0));
        } else if (value instanceof Boolean) {
            setInt(fd, at[0], at[1], (Boolean) value ? 1 : 0);
        } else {
            int n = (Integer) value;
            if (n < 0 && option != StandardSocketOptions.IP_TOS) {
                throw new IllegalArgumentException("Invalid value '" + n + "'");
            }
            setInt(fd, at[0], at[1], n);
        }
    }

    @SuppressWarnings("unchecked")
    static <T> T get(Fd fd, int family, SocketOption<T> option) throws IOException {
        int[] at = where(option, family);
        fd.acquire();
        try {
            Scratch s = Scratch.get();
            if (Libc.getIntOption(s, fd.fd, at[0], at[1]) < 0) {
                throw Errno.socket(s.errno());
            }
            int first = s.ints.get(JAVA_INT, 0);
            if (option == StandardSocketOptions.SO_LINGER) {
                return (T) Integer.valueOf(first == 0 ? -1 : s.ints.get(JAVA_INT, 4));
            }
            if (option.type() == Boolean.class) {
                return (T) Boolean.valueOf(first != 0);
            }
            return (T) Integer.valueOf(first);
        } finally {
            fd.release();
        }
    }

    static void setInt(Fd fd, int level, int name, int value) throws IOException {
        fd.acquire();
        try {
            Scratch s = Scratch.get();
            s.ints.set(JAVA_INT, 0, value);
            if (Libc.setOption(s, fd.fd, level, name, 4) < 0) {
                throw Errno.socket(s.errno());
            }
        } finally {
            fd.release();
        }
    }

    private static void setStruct(Fd fd, int level, int name, int first, int second) throws IOException {
        fd.acquire();
        try {
            Scratch s = Scratch.get();
            s.ints.set(JAVA_INT, 0, first);
            s.ints.set(JAVA_INT, 4, second);
            if (Libc.setOption(s, fd.fd, level, name, 8) < 0) {
                throw Errno.socket(s.errno());
            }
        } finally {
            fd.release();
        }
    }
}
