package io.verypoll.spring.boot.server;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A PROXY protocol header (HAProxy's protocol, versions 1 and 2), parsed from the bytes received so
 * far: {@link #parse} answers "not complete yet" (null), the header, or throws when the bytes cannot
 * be one. It never looks past the header, works on whatever prefix has arrived (so every split of
 * the input gives the same answer), and decides as early as the bytes allow: a client that starts
 * with anything else fails at its first wrong byte.
 *
 * <p>Version 1 is a text line, at most {@value #V1_MAX} bytes: {@code PROXY TCP4 src dst sport dport\r\n}
 * ({@code TCP6}, or {@code UNKNOWN} with anything after it). Version 2 is binary: a 12-byte signature,
 * version and command, family and transport, a length, the addresses and then TLVs, which are
 * skipped; {@code LOCAL} (a health check of the balancer itself) and unknown families name no client.
 * A version 2 header is at most {@value #MAX_LENGTH} bytes here.
 *
 * @param length the header's bytes, the first {@code length} of the input
 * @param source the client it names; null when it names none (LOCAL, UNKNOWN, UNSPEC, a Unix socket)
 * @param destination the address the client connected to, null likewise
 */
record ProxyHeader(int length, InetSocketAddress source, InetSocketAddress destination) {

    static final int V1_MAX = 107;
    /** Longest version 2 header taken: 16 bytes, the addresses and room for the TLVs balancers send. */
    static final int MAX_LENGTH = 4096;
    private static final byte[] V1_PREFIX = "PROXY ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    /**
     * The header at the start of {@code in}'s bytes {@code [from, to)}, or null while it is incomplete.
     *
     * @throws LayerFailure (proxy-protocol-error) when the bytes are not a header {@code accepted} takes
     */
    static ProxyHeader parse(ByteBuffer in, int from, int to, ProxyProtocol accepted) throws LayerFailure {
        int available = to - from;
        if (available == 0) {
            return null;
        }
        byte first = in.get(from);
        if (first == V1_PREFIX[0] && accepted.accepts(1)) {
            return parseV1(in, from, to);
        }
        if (first == V2_SIGNATURE[0] && accepted.accepts(2)) {
            return parseV2(in, from, to);
        }
        throw LayerFailure.proxy("no PROXY protocol " + (accepted == ProxyProtocol.ANY ? "" : accepted + " ")
                + "header: the connection starts with byte 0x" + Integer.toHexString(first & 0xff));
    }

    private static ProxyHeader parseV1(ByteBuffer in, int from, int to) throws LayerFailure {
        int prefix = Math.min(V1_PREFIX.length, to - from);
        for (int i = 0; i < prefix; i++) {
            if (in.get(from + i) != V1_PREFIX[i]) {
                throw LayerFailure.proxy("no PROXY protocol v1 header: it must start with 'PROXY '");
            }
        }
        int end = -1;
        int limit = Math.min(to, from + V1_MAX);
        for (int i = from; i < limit; i++) {
            byte b = in.get(i);
            if (b == '\n') {
                if (i == from || in.get(i - 1) != '\r') {
                    throw LayerFailure.proxy("PROXY protocol v1 header ends in LF without CR");
                }
                end = i + 1;
                break;
            }
            if (b != '\r' && (b < 0x20 || b > 0x7e)) {
                throw LayerFailure.proxy("PROXY protocol v1 header has a byte that is not printable ASCII");
            }
        }
        if (end < 0) {
            if (to - from >= V1_MAX) {
                throw LayerFailure.proxy("PROXY protocol v1 header longer than " + V1_MAX + " bytes");
            }
            return null;
        }
        byte[] bytes = new byte[end - 2 - from];
        in.get(from, bytes);
        String[] fields = new String(bytes, StandardCharsets.US_ASCII).split(" ", -1);
        int length = end - from;
        if (fields.length >= 2 && fields[1].equals("UNKNOWN")) {
            return new ProxyHeader(length, null, null); // the rest of the line is ignored, as the spec says
        }
        if (fields.length != 6) {
            throw LayerFailure.proxy("PROXY protocol v1 header needs 'PROXY TCP4|TCP6 src dst sport dport'");
        }
        boolean v6 = switch (fields[1]) {
            case "TCP4" -> false;
            case "TCP6" -> true;
            default -> throw LayerFailure.proxy("PROXY protocol v1 header has an unknown protocol: " + fields[1]);
        };
        InetAddress source = address(fields[2], v6);
        InetAddress destination = address(fields[3], v6);
        return new ProxyHeader(length, new InetSocketAddress(source, port(fields[4])),
                new InetSocketAddress(destination, port(fields[5])));
    }

    /** A literal address of the family; never a name lookup. */
    private static InetAddress address(String text, boolean v6) throws LayerFailure {
        byte[] bytes = v6 ? ipv6(text) : ipv4(text);
        if (bytes == null) {
            throw LayerFailure.proxy("PROXY protocol v1 header has an invalid " + (v6 ? "IPv6" : "IPv4") + " address");
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw LayerFailure.proxy("PROXY protocol v1 header has an invalid address");
        }
    }

    private static byte[] ipv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            int value = decimal(parts[i], 3);
            if (value < 0 || value > 255) {
                return null;
            }
            bytes[i] = (byte) value;
        }
        return bytes;
    }

    private static byte[] ipv6(String text) {
        if (text.isEmpty() || text.length() > 45 || !text.contains(":")) {
            return null;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!(c == ':' || c == '.' || Character.digit(c, 16) >= 0)) {
                return null;
            }
        }
        try {
            // A literal with a colon: parsed, never looked up.
            byte[] bytes = InetAddress.getByName(text).getAddress();
            if (bytes.length == 16) {
                return bytes;
            }
            byte[] mapped = new byte[16]; // the JDK turns ::ffff:a.b.c.d into IPv4: keep it IPv6
            mapped[10] = (byte) 0xff;
            mapped[11] = (byte) 0xff;
            System.arraycopy(bytes, 0, mapped, 12, 4);
            return mapped;
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static int port(String text) throws LayerFailure {
        int port = decimal(text, 5);
        if (port < 0 || port > 65535) {
            throw LayerFailure.proxy("PROXY protocol v1 header has an invalid port");
        }
        return port;
    }

    /** A decimal of 1 to {@code maxDigits} digits, else -1. */
    private static int decimal(String text, int maxDigits) {
        if (text.isEmpty() || text.length() > maxDigits) {
            return -1;
        }
        int value = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    private static ProxyHeader parseV2(ByteBuffer in, int from, int to) throws LayerFailure {
        int available = to - from;
        for (int i = 0; i < Math.min(V2_SIGNATURE.length, available); i++) {
            if (in.get(from + i) != V2_SIGNATURE[i]) {
                throw LayerFailure.proxy("no PROXY protocol v2 header: wrong signature");
            }
        }
        if (available < 16) {
            checkV2Start(in, from, available);
            return null;
        }
        checkV2Start(in, from, available);
        int command = in.get(from + 12) & 0x0f;
        int family = (in.get(from + 13) & 0xff) >> 4;
        int addressLength = ((in.get(from + 14) & 0xff) << 8) | (in.get(from + 15) & 0xff);
        int length = 16 + addressLength;
        if (length > MAX_LENGTH) {
            throw LayerFailure.proxy("PROXY protocol v2 header of " + length + " bytes; at most " + MAX_LENGTH
                    + " are taken");
        }
        int needed = switch (family) {
            case 1 -> 12;
            case 2 -> 36;
            case 3 -> 216;
            default -> 0;
        };
        if (addressLength < needed) {
            throw LayerFailure.proxy("PROXY protocol v2 header too short for its address family");
        }
        if (available < length) {
            return null;
        }
        if (command == 0 || family == 0 || family == 3) {
            return new ProxyHeader(length, null, null); // LOCAL, UNSPEC or Unix: no client to name
        }
        int a = from + 16;
        int size = family == 1 ? 4 : 16;
        byte[] src = new byte[size];
        byte[] dst = new byte[size];
        in.get(a, src);
        in.get(a + size, dst);
        int sourcePort = ((in.get(a + 2 * size) & 0xff) << 8) | (in.get(a + 2 * size + 1) & 0xff);
        int destinationPort = ((in.get(a + 2 * size + 2) & 0xff) << 8) | (in.get(a + 2 * size + 3) & 0xff);
        try {
            return new ProxyHeader(length, new InetSocketAddress(InetAddress.getByAddress(src), sourcePort),
                    new InetSocketAddress(InetAddress.getByAddress(dst), destinationPort));
        } catch (UnknownHostException e) {
            throw LayerFailure.proxy("PROXY protocol v2 header has an invalid address");
        }
    }

    /** Version, command, family and transport, as far as they have arrived. */
    private static void checkV2Start(ByteBuffer in, int from, int available) throws LayerFailure {
        if (available > 12) {
            int versionCommand = in.get(from + 12) & 0xff;
            if (versionCommand >> 4 != 2) {
                throw LayerFailure.proxy("PROXY protocol v2 header has version " + (versionCommand >> 4));
            }
            if ((versionCommand & 0x0f) > 1) {
                throw LayerFailure.proxy("PROXY protocol v2 header has an unknown command");
            }
        }
        if (available > 13) {
            int familyTransport = in.get(from + 13) & 0xff;
            if (familyTransport >> 4 > 3 || (familyTransport & 0x0f) > 2) {
                throw LayerFailure.proxy("PROXY protocol v2 header has an unknown address family or transport");
            }
        }
    }
}
