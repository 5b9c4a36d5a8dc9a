package io.verypoll.epoll;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.nio.channels.UnresolvedAddressException;
import java.nio.channels.UnsupportedAddressTypeException;
import java.nio.charset.Charset;
import java.nio.file.Path;

/**
 * {@code struct sockaddr_in}, {@code sockaddr_in6} and {@code sockaddr_un} to and from Java
 * addresses. Ports are in network order; the family in host order.
 */
final class Sockaddr {
    private static final int IN_SIZE = 16;
    private static final int IN6_SIZE = 28;
    private static final int UN_PATH_MAX = 108;
    /** The JDK names Unix socket files in this charset; so does this backend. */
    private static final Charset PATHS = Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));

    private Sockaddr() {
    }

    /** The family of socket {@code address} needs. */
    static int family(SocketAddress address) {
        return inet(address).getAddress() instanceof Inet6Address ? Libc.AF_INET6 : Libc.AF_INET;
    }

    static InetSocketAddress inet(SocketAddress address) {
        if (!(address instanceof InetSocketAddress)) {
            throw new UnsupportedAddressTypeException();
        }
        InetSocketAddress isa = (InetSocketAddress) address;
        if (isa.isUnresolved()) {
            throw new UnresolvedAddressException();
        }
        return isa;
    }

    /**
     * Writes {@code address} for a socket of {@code family} into {@code dst}; an IPv4 address for
     * an IPv6 socket becomes IPv4-mapped.
     *
     * @return the length to pass with it
     */
    static int encode(SocketAddress address, int family, MemorySegment dst) throws IOException {
        if (address instanceof UnixDomainSocketAddress) {
            return encodeUnix(((UnixDomainSocketAddress) address).getPath(), dst);
        }
        InetSocketAddress isa = inet(address);
        InetAddress ip = isa.getAddress();
        byte[] bytes = ip.getAddress();
        dst.set(JAVA_SHORT, 0, (short) family);
        dst.set(JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN), 2, (short) isa.getPort());
        if (family == Libc.AF_INET) {
            if (bytes.length != 4) {
                throw new SocketException("an IPv6 address for an IPv4 socket: " + ip);
            }
            MemorySegment.copy(bytes, 0, dst, JAVA_BYTE, 4, 4);
            dst.set(JAVA_LONG, 8, 0);
            return IN_SIZE;
        }
        dst.set(JAVA_INT, 4, 0); // flow info
        if (bytes.length == 4) {
            dst.set(JAVA_LONG, 8, 0);
            dst.set(JAVA_SHORT, 16, (short) 0); // ::ffff:a.b.c.d
            dst.set(JAVA_BYTE, 18, (byte) 0xff);
            dst.set(JAVA_BYTE, 19, (byte) 0xff);
            MemorySegment.copy(bytes, 0, dst, JAVA_BYTE, 20, 4);
        } else {
            MemorySegment.copy(bytes, 0, dst, JAVA_BYTE, 8, 16);
        }
        dst.set(JAVA_INT, 24, ip instanceof Inet6Address ? ((Inet6Address) ip).getScopeId() : 0);
        return IN6_SIZE;
    }

    static int encodeUnix(Path path, MemorySegment dst) throws SocketException {
        byte[] name = path.toString().getBytes(PATHS);
        if (name.length >= UN_PATH_MAX) {
            throw new SocketException("Unix domain path too long");
        }
        dst.set(JAVA_SHORT, 0, (short) Libc.AF_UNIX);
        MemorySegment.copy(name, 0, dst, JAVA_BYTE, 2, name.length);
        dst.set(JAVA_BYTE, 2 + name.length, (byte) 0);
        return 2 + name.length + 1;
    }

    /** The address of {@code len} bytes at {@code src}. */
    static SocketAddress decode(MemorySegment src, int len) throws IOException {
        int family = src.get(JAVA_SHORT, 0);
        if (family == Libc.AF_UNIX) {
            int n = 0;
            while (2 + n < len && src.get(JAVA_BYTE, 2 + n) != 0) {
                n++;
            }
            byte[] name = new byte[n];
            MemorySegment.copy(src, JAVA_BYTE, 2, name, 0, n);
            return UnixDomainSocketAddress.of(new String(name, PATHS));
        }
        int port = Short.toUnsignedInt(src.get(JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN), 2));
        try {
            if (family == Libc.AF_INET) {
                byte[] ip = new byte[4];
                MemorySegment.copy(src, JAVA_BYTE, 4, ip, 0, 4);
                return new InetSocketAddress(InetAddress.getByAddress(ip), port);
            }
            if (family == Libc.AF_INET6) {
                byte[] ip = new byte[16];
                MemorySegment.copy(src, JAVA_BYTE, 8, ip, 0, 16);
                if (isMapped(ip)) { // the JDK reports ::ffff:a.b.c.d as a.b.c.d
                    byte[] v4 = {ip[12], ip[13], ip[14], ip[15]};
                    return new InetSocketAddress(InetAddress.getByAddress(v4), port);
                }
                int scope = src.get(JAVA_INT, 24);
                InetAddress a = scope == 0 ? InetAddress.getByAddress(ip) : Inet6Address.getByAddress(null, ip, scope);
                return new InetSocketAddress(a, port);
            }
        } catch (UnknownHostException e) {
            throw new SocketException("bad address from the kernel: " + e.getMessage());
        }
        throw new SocketException("unknown address family " + family);
    }

    private static boolean isMapped(byte[] ip) {
        for (int i = 0; i < 10; i++) {
            if (ip[i] != 0) {
                return false;
            }
        }
        return ip[10] == (byte) 0xff && ip[11] == (byte) 0xff;
    }
}
