package io.verypoll.epoll;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.channels.MembershipKey;
import java.nio.channels.MulticastChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * A multicast group membership of an epoll datagram socket, as the JDK's {@link MembershipKey}: the
 * public API returns that type on both backends, so code written for NIO keeps working. It is
 * verypoll's subclass here, over {@code IP_ADD_MEMBERSHIP} ({@code struct ip_mreqn}, by interface
 * index) or {@code IPV6_ADD_MEMBERSHIP} ({@code struct ipv6_mreq}). What needs a JDK channel or
 * source filtering throws {@link UnsupportedOperationException}: {@link #channel()}, {@link
 * #block} and {@link #unblock}.
 */
final class Membership extends MembershipKey {
    private final DatagramSource source;
    private final InetAddress group;
    private final NetworkInterface networkInterface;
    private volatile boolean valid = true;

    private Membership(DatagramSource source, InetAddress group, NetworkInterface networkInterface) {
        this.source = source;
        this.group = group;
        this.networkInterface = networkInterface;
    }

    /** The socket's memberships, to hand back an existing one for the same group and interface (as the JDK). */
    static final class Set {
        private final List<Membership> keys = new ArrayList<>();

        synchronized MembershipKey join(DatagramSource source, InetAddress group, NetworkInterface nif) throws IOException {
            if (!group.isMulticastAddress()) {
                throw new IllegalArgumentException(group + " is not a multicast address");
            }
            if (group instanceof Inet6Address && source.family == Libc.AF_INET) {
                throw new IllegalArgumentException("an IPv6 group on an IPv4 socket: bind an IPv6 address");
            }
            keys.removeIf(k -> !k.isValid());
            for (Membership k : keys) {
                if (k.group.equals(group) && k.networkInterface.equals(nif)) {
                    return k;
                }
            }
            Membership k = new Membership(source, group, nif);
            k.control(true);
            keys.add(k);
            return k;
        }
    }

    /** Adds or drops the membership in the kernel. */
    private void control(boolean add) throws IOException {
        Fd fd = source.fd;
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
                IOException e = Errno.socket(s.errno());
                throw e instanceof SocketException ? e : new SocketException(e.getMessage());
            }
        } finally {
            fd.release();
        }
    }

    @Override
    public boolean isValid() {
        return valid && source.isOpen();
    }

    @Override
    public void drop() {
        synchronized (this) {
            if (!valid) {
                return;
            }
            valid = false;
        }
        if (source.isOpen()) {
            try {
                control(false);
            } catch (IOException e) {
                // closed meanwhile: the kernel dropped it with the socket
            }
        }
    }

    @Override
    public MembershipKey block(InetAddress source) {
        throw new UnsupportedOperationException("source filtering is not supported by the epoll backend");
    }

    @Override
    public MembershipKey unblock(InetAddress source) {
        throw new UnsupportedOperationException("source filtering is not supported by the epoll backend");
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
        return null; // any-source membership
    }

    @Override
    public String toString() {
        return "Membership(" + group + " on " + networkInterface.getName() + (isValid() ? ")" : ", dropped)");
    }
}
