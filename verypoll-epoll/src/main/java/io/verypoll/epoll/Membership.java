package io.verypoll.epoll;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.channels.MembershipKey;
import java.nio.channels.MulticastChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A multicast group membership of an epoll datagram socket, as the JDK's {@link MembershipKey}: the
 * public API returns that type on both backends, so code written for NIO keeps working. It is
 * verypoll's subclass here. Any-source: {@code IP_ADD_MEMBERSHIP} ({@code struct ip_mreqn}, by
 * interface index) or {@code IPV6_ADD_MEMBERSHIP} ({@code struct ipv6_mreq}), with {@link #block}
 * and {@link #unblock} as {@code MCAST_BLOCK_SOURCE} / {@code MCAST_UNBLOCK_SOURCE}. Source-specific:
 * {@code MCAST_JOIN_SOURCE_GROUP}. The {@code MCAST_*} calls take a {@code struct group_source_req}
 * (RFC 3678) for IPv4 and IPv6 alike. Only {@link #channel()} throws (no JDK channel here).
 */
final class Membership extends MembershipKey {
    /** {@code struct group_source_req}: the interface index, then two {@code sockaddr_storage} at 8-byte alignment. */
    private static final int GSR_SIZE = 8 + 2 * Scratch.ADDR_SIZE;
    private static final int GSR_GROUP = 8;
    private static final int GSR_SOURCE = 8 + Scratch.ADDR_SIZE;

    private final DatagramSource socket;
    private final InetAddress group;
    private final NetworkInterface networkInterface;
    /** Null: any source. */
    private final InetAddress sourceAddress;
    /** Sources blocked on an any-source membership; guarded by this. */
    private final List<InetAddress> blocked = new ArrayList<>();
    private volatile boolean valid = true;

    private Membership(DatagramSource socket, InetAddress group, NetworkInterface networkInterface, InetAddress sourceAddress) {
        this.socket = socket;
        this.group = group;
        this.networkInterface = networkInterface;
        this.sourceAddress = sourceAddress;
    }

    /**
     * The socket's memberships, to hand back an existing one for the same group, interface and
     * source, and to refuse mixing any-source and source-specific memberships of one group on one
     * interface (as the JDK).
     */
    static final class Set {
        private final List<Membership> keys = new ArrayList<>();

        /** {@code from}: the one source to receive from, or null for any source. */
        synchronized MembershipKey join(DatagramSource socket, InetAddress group, NetworkInterface nif, InetAddress from)
                throws IOException {
            if (!group.isMulticastAddress()) {
                throw new IllegalArgumentException(group + " is not a multicast address");
            }
            if (group instanceof Inet6Address && socket.family == Libc.AF_INET) {
                throw new IllegalArgumentException("an IPv6 group on an IPv4 socket: bind an IPv6 address");
            }
            if (from != null) {
                checkSource(group, from);
            }
            keys.removeIf(k -> !k.isValid());
            for (Membership k : keys) {
                if (!k.group.equals(group) || !k.networkInterface.equals(nif)) {
                    continue;
                }
                if (Objects.equals(k.sourceAddress, from)) {
                    return k;
                }
                if (from == null) {
                    throw new IllegalStateException("the socket has a source-specific membership of " + group
                            + " on " + nif.getName() + ": drop it first");
                }
                if (k.sourceAddress == null) {
                    throw new IllegalStateException("the socket is a member of " + group + " on " + nif.getName()
                            + " for every source: block sources on that key, or drop it first");
                }
            }
            Membership k = new Membership(socket, group, nif, from);
            if (from == null) {
                k.control(true);
            } else {
                k.sourceControl(Libc.MCAST_JOIN_SOURCE_GROUP, from);
            }
            keys.add(k);
            return k;
        }
    }

    /** As the JDK: a unicast source of the group's family. */
    private static void checkSource(InetAddress group, InetAddress source) {
        Objects.requireNonNull(source, "source");
        if (source.isAnyLocalAddress() || source.isMulticastAddress()) {
            throw new IllegalArgumentException(source + " is not a unicast source address");
        }
        if ((source instanceof Inet4Address) != (group instanceof Inet4Address)) {
            throw new IllegalArgumentException("the source " + source + " and the group " + group + " are of different families");
        }
    }

    /** Adds or drops the any-source membership in the kernel. */
    private void control(boolean add) throws IOException {
        Fd fd = socket.fd;
        fd.acquire();
        try {
            Scratch s = Scratch.get();
            MemorySegment req = s.addr; // 128 bytes of per-thread memory, unused between calls
            int len;
            int level;
            int name;
            if (group instanceof Inet4Address) {
                // struct ip_mreqn { in_addr imr_multiaddr; in_addr imr_address; int imr_ifindex; }
                MemorySegment.copy(group.getAddress(), 0, req, JAVA_BYTE, 0, 4);
                req.set(JAVA_INT, 4, 0);
                req.set(JAVA_INT, 8, networkInterface.getIndex());
                len = 12;
                level = Libc.IPPROTO_IP;
                name = add ? Libc.IP_ADD_MEMBERSHIP : Libc.IP_DROP_MEMBERSHIP;
            } else {
                // struct ipv6_mreq { in6_addr ipv6mr_multiaddr; unsigned ipv6mr_interface; }
                MemorySegment.copy(group.getAddress(), 0, req, JAVA_BYTE, 0, 16);
                req.set(JAVA_INT, 16, networkInterface.getIndex());
                len = 20;
                level = Libc.IPPROTO_IPV6;
                name = add ? Libc.IPV6_ADD_MEMBERSHIP : Libc.IPV6_DROP_MEMBERSHIP;
            }
            if (Libc.setOption(s, fd.fd, level, name, req, len) < 0) {
                throw socketException(s.errno());
            }
        } finally {
            fd.release();
        }
    }

    /** One {@code MCAST_*} call for {@code source} in this group on this interface. Not a hot path: its own memory. */
    private void sourceControl(int name, InetAddress source) throws IOException {
        Fd fd = socket.fd;
        fd.acquire();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment req = arena.allocate(GSR_SIZE, 8);
            int family = group instanceof Inet4Address ? Libc.AF_INET : Libc.AF_INET6;
            req.set(JAVA_INT, 0, networkInterface.getIndex());
            Sockaddr.encode(new InetSocketAddress(group, 0), family, req.asSlice(GSR_GROUP, Scratch.ADDR_SIZE));
            Sockaddr.encode(new InetSocketAddress(source, 0), family, req.asSlice(GSR_SOURCE, Scratch.ADDR_SIZE));
            Scratch s = Scratch.get();
            int level = family == Libc.AF_INET ? Libc.IPPROTO_IP : Libc.IPPROTO_IPV6;
            if (Libc.setOption(s, fd.fd, level, name, req, GSR_SIZE) < 0) {
                throw socketException(s.errno());
            }
        } finally {
            fd.release();
        }
    }

    private static IOException socketException(int errno) {
        IOException e = Errno.socket(errno);
        return e instanceof SocketException ? e : new SocketException(e.getMessage());
    }

    @Override
    public boolean isValid() {
        return valid && socket.isOpen();
    }

    @Override
    public void drop() {
        synchronized (this) {
            if (!valid) {
                return;
            }
            valid = false;
            blocked.clear(); // the kernel drops a membership's filter with it
        }
        if (socket.isOpen()) {
            try {
                if (sourceAddress == null) {
                    control(false);
                } else {
                    sourceControl(Libc.MCAST_LEAVE_SOURCE_GROUP, sourceAddress);
                }
            } catch (IOException e) {
                // closed meanwhile: the kernel dropped it with the socket
            }
        }
    }

    /** Stops datagrams from {@code source} (any-source memberships only); blocking a blocked source does nothing. */
    @Override
    public synchronized MembershipKey block(InetAddress source) throws IOException {
        if (sourceAddress != null) {
            throw new IllegalStateException("a source-specific membership receives from its source only: nothing to block");
        }
        checkSource(group, source);
        if (!isValid()) {
            throw new IllegalStateException("the membership was dropped");
        }
        if (!blocked.contains(source)) {
            sourceControl(Libc.MCAST_BLOCK_SOURCE, source);
            blocked.add(source);
        }
        return this;
    }

    /** Lets datagrams from a blocked {@code source} in again. */
    @Override
    public synchronized MembershipKey unblock(InetAddress source) {
        if (!isValid()) {
            throw new IllegalStateException("the membership was dropped");
        }
        if (!blocked.contains(source)) {
            throw new IllegalStateException(source + " is not blocked");
        }
        try {
            sourceControl(Libc.MCAST_UNBLOCK_SOURCE, source);
        } catch (IOException e) {
            // MembershipKey.unblock declares no IOException (the JDK's throws an AssertionError here)
            throw new UncheckedIOException(e);
        }
        blocked.remove(source);
        return this;
    }

    @Override
    public MulticastChannel channel() {
        throw new UnsupportedOperationException("the epoll backend has no JDK channel behind its sockets;"
                + " MembershipKey.channel() needs the nio backend (-Dverypoll.backend=nio)");
    }

    @Override
    public InetAddress group() {
        return group;
    }

    @Override
    public NetworkInterface networkInterface() {
        return networkInterface;
    }

    @Override
    public InetAddress sourceAddress() {
        return sourceAddress;
    }

    @Override
    public String toString() {
        return "Membership(" + group + " on " + networkInterface.getName() + (sourceAddress == null ? "" : " from " + sourceAddress)
                + (isValid() ? ")" : ", dropped)");
    }
}
