package io.verypoll.net;

import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A Unix-domain socket address in Linux's abstract namespace: a name with no file behind it, gone
 * when the last socket bound to it closes (mio's {@code SocketAddr::from_abstract_name}). The JDK's
 * {@link java.net.UnixDomainSocketAddress} holds a path and cannot name one. Taken by {@link
 * UnixDatagram}, {@link UnixListener#bind(java.net.SocketAddress)} and {@link
 * UnixStream#connect(java.net.SocketAddress)} on the epoll backend, and returned as their local and
 * peer addresses; on NIO those throw {@code UnsupportedOperationException}. Compared by its bytes.
 *
 * <pre>{@code
 * UnixDatagram server = UnixDatagram.bind(UnixAbstractAddress.of("verypoll-demo"));
 * client.sendTo(buffer, UnixAbstractAddress.of("verypoll-demo"));
 * }</pre>
 */
public final class UnixAbstractAddress extends SocketAddress {
    private static final long serialVersionUID = 1L;
    /** {@code sun_path} has 108 bytes; the leading NUL takes one. */
    public static final int MAX_NAME_LENGTH = 107;

    private final byte[] name;

    private UnixAbstractAddress(byte[] name) {
        if (name.length == 0 || name.length > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("an abstract name has 1 to " + MAX_NAME_LENGTH + " bytes, this has " + name.length);
        }
        this.name = name;
    }

    /** The name's UTF-8 bytes, without the leading NUL the kernel sees. */
    public static UnixAbstractAddress of(String name) {
        return new UnixAbstractAddress(Objects.requireNonNull(name, "name").getBytes(StandardCharsets.UTF_8));
    }

    /** Any bytes (NULs included), without the leading NUL. */
    public static UnixAbstractAddress of(byte[] name) {
        return new UnixAbstractAddress(Objects.requireNonNull(name, "name").clone());
    }

    /** A copy of the name's bytes. */
    public byte[] name() {
        return name.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UnixAbstractAddress && Arrays.equals(((UnixAbstractAddress) o).name, name);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(name);
    }

    /** {@code @name}, as {@code ss} shows abstract sockets; bytes that are not printable ASCII in hex. */
    @Override
    public String toString() {
        for (byte b : name) {
            if (b < 0x20 || b > 0x7e) {
                return "@0x" + HexFormat.of().formatHex(name);
            }
        }
        return "@" + new String(name, StandardCharsets.US_ASCII);
    }
}
