package io.verypoll.spring.boot.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/** The PROXY protocol header parser, at every split point of its input. */
@Timeout(10)
class ProxyHeaderTest {

    private static final byte[] SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    /** Parses every prefix of {@code bytes}: incomplete until the header's end, then the header, always the same. */
    private static ProxyHeader parseAtEverySplit(byte[] bytes, ProxyProtocol accepted) throws LayerFailure {
        ProxyHeader complete = null;
        for (int k = 0; k <= bytes.length; k++) {
            ByteBuffer in = ByteBuffer.allocate(bytes.length + 8);
            in.position(3).put(bytes, 0, k); // not at index 0: offsets must be honoured
            ProxyHeader parsed = ProxyHeader.parse(in, 3, 3 + k, accepted);
            if (complete == null) {
                if (parsed != null) {
                    assertThat(parsed.length()).as("complete at %d bytes", k).isEqualTo(k);
                    complete = parsed;
                }
            } else {
                assertThat(parsed).as("prefix of %d bytes", k).isEqualTo(complete);
            }
        }
        return complete;
    }

    /** Every prefix is incomplete or refused, and the whole is refused, naming {@code words}. */
    private static void refusedAtEverySplit(byte[] bytes, ProxyProtocol accepted, String words) {
        for (int k = 0; k <= bytes.length; k++) {
            ByteBuffer in = ByteBuffer.wrap(bytes, 0, k);
            try {
                assertThat(ProxyHeader.parse(in, 0, k, accepted)).as("prefix of %d bytes", k).isNull();
            } catch (LayerFailure refused) {
                assertThat(refused.reason()).isEqualTo(CloseReason.PROXY_PROTOCOL_ERROR);
            }
        }
        assertThatThrownBy(() -> ProxyHeader.parse(ByteBuffer.wrap(bytes), 0, bytes.length, accepted))
                .isInstanceOf(LayerFailure.class).hasMessageContaining(words);
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void v1Tcp4NamesClientAndDestination() throws Exception {
        byte[] header = ascii("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n");
        ProxyHeader parsed = parseAtEverySplit(header, ProxyProtocol.ANY);
        assertThat(parsed.length()).isEqualTo(header.length);
        assertThat(parsed.source()).isEqualTo(new InetSocketAddress("192.168.0.1", 56324));
        assertThat(parsed.destination()).isEqualTo(new InetSocketAddress("192.168.0.11", 443));
        assertThat(parseAtEverySplit(header, ProxyProtocol.V1)).isEqualTo(parsed);
    }

    @Test
    void v1StopsAtItsLineEndAndLeavesWhatFollows() throws Exception {
        byte[] header = ascii("PROXY TCP6 2001:db8::1 ::1 1 65535\r\n");
        byte[] withData = ascii("PROXY TCP6 2001:db8::1 ::1 1 65535\r\n\u0016\u0003\u0001GET");
        ProxyHeader parsed = ProxyHeader.parse(ByteBuffer.wrap(withData), 0, withData.length, ProxyProtocol.ANY);
        assertThat(parsed.length()).isEqualTo(header.length);
        assertThat(parsed.source()).isEqualTo(new InetSocketAddress("2001:db8::1", 1));
        assertThat(parsed.destination().getPort()).isEqualTo(65535);
    }

    @Test
    void v1UnknownNamesNoClient() throws Exception {
        assertThat(parseAtEverySplit(ascii("PROXY UNKNOWN\r\n"), ProxyProtocol.ANY).source()).isNull();
        ProxyHeader withAddresses = parseAtEverySplit(ascii("PROXY UNKNOWN ffff:f...f:ffff 1 2 3\r\n"), ProxyProtocol.ANY);
        assertThat(withAddresses.source()).isNull();
        assertThat(withAddresses.destination()).isNull();
    }

    @Test
    void v1LongestHeaderFitsAndOneByteMoreIsRefused() throws Exception {
        String address = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
        byte[] longest = ascii("PROXY TCP6 " + address + " " + address + " 65535 65535\r\n");
        assertThat(longest).hasSize(104);
        assertThat(parseAtEverySplit(longest, ProxyProtocol.ANY).length()).isEqualTo(104);
        refusedAtEverySplit(ascii("PROXY UNKNOWN " + "x".repeat(100) + "\r\n"), ProxyProtocol.ANY, "longer than 107");
    }

    @Test
    void malformedV1HeadersAreRefused() {
        refusedAtEverySplit(ascii("PROXX TCP4 1.2.3.4 5.6.7.8 1 2\r\n"), ProxyProtocol.ANY, "must start with 'PROXY '");
        refusedAtEverySplit(ascii("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n"), ProxyProtocol.ANY, "unknown protocol");
        refusedAtEverySplit(ascii("PROXY TCP4 256.2.3.4 5.6.7.8 1 2\r\n"), ProxyProtocol.ANY, "invalid IPv4");
        refusedAtEverySplit(ascii("PROXY TCP4 localhost 5.6.7.8 1 2\r\n"), ProxyProtocol.ANY, "invalid IPv4");
        refusedAtEverySplit(ascii("PROXY TCP6 1.2.3.4 ::1 1 2\r\n"), ProxyProtocol.ANY, "invalid IPv6");
        refusedAtEverySplit(ascii("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n"), ProxyProtocol.ANY, "invalid port");
        refusedAtEverySplit(ascii("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n"), ProxyProtocol.ANY, "invalid port");
        refusedAtEverySplit(ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"), ProxyProtocol.ANY, "needs 'PROXY TCP4|TCP6");
        refusedAtEverySplit(ascii("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n"), ProxyProtocol.ANY, "needs");
        refusedAtEverySplit(ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"), ProxyProtocol.ANY, "LF without CR");
        refusedAtEverySplit(ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\t\r\n"), ProxyProtocol.ANY, "not printable");
        refusedAtEverySplit(ascii("GET / HTTP/1.1\r\n\r\n"), ProxyProtocol.ANY, "starts with byte 0x47");
        refusedAtEverySplit(new byte[] {22, 3, 1, 0, 5}, ProxyProtocol.ANY, "starts with byte 0x16");
    }

    /** A version 2 header: version/command byte, family/transport byte, the address block, then TLVs. */
    private static byte[] v2(int versionCommand, int familyTransport, byte[] addresses, byte[] tlvs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(SIGNATURE);
        out.write(versionCommand);
        out.write(familyTransport);
        int length = addresses.length + tlvs.length;
        out.write(length >> 8);
        out.write(length & 0xff);
        out.writeBytes(addresses);
        out.writeBytes(tlvs);
        return out.toByteArray();
    }

    private static final byte[] INET = {10, 0, 0, 1, 10, 0, 0, 2, (byte) 0xdb, 0x3a, 0x01, (byte) 0xbb};
    /** Two TLVs: an ALPN (0x01) and a unique id (0x05); skipped. */
    private static final byte[] TLVS = {0x01, 0x00, 0x02, 'h', '2', 0x05, 0x00, 0x03, 1, 2, 3};

    @Test
    void v2InetWithTlvsNamesClientAndSkipsTheTlvs() throws Exception {
        byte[] header = v2(0x21, 0x11, INET, TLVS);
        ProxyHeader parsed = parseAtEverySplit(header, ProxyProtocol.ANY);
        assertThat(parsed.length()).isEqualTo(16 + 12 + TLVS.length);
        assertThat(parsed.source()).isEqualTo(new InetSocketAddress("10.0.0.1", 0xdb3a));
        assertThat(parsed.destination()).isEqualTo(new InetSocketAddress("10.0.0.2", 443));
        assertThat(parseAtEverySplit(header, ProxyProtocol.V2)).isEqualTo(parsed);
    }

    @Test
    void v2Inet6() throws Exception {
        byte[] addresses = new byte[36];
        addresses[15] = 1; // ::1
        addresses[16] = 0x20;
        addresses[17] = 0x01; // 2001::
        addresses[32] = 0x12;
        addresses[33] = 0x34;
        addresses[35] = 80;
        ProxyHeader parsed = parseAtEverySplit(v2(0x21, 0x21, addresses, new byte[0]), ProxyProtocol.ANY);
        assertThat(parsed.source()).isEqualTo(new InetSocketAddress("::1", 0x1234));
        assertThat(parsed.destination()).isEqualTo(new InetSocketAddress("2001::", 80));
    }

    @Test
    void v2LocalUnspecAndUnixNameNoClient() throws Exception {
        assertThat(parseAtEverySplit(v2(0x20, 0x00, new byte[0], new byte[0]), ProxyProtocol.ANY))
                .isEqualTo(new ProxyHeader(16, null, null));
        assertThat(parseAtEverySplit(v2(0x20, 0x11, INET, TLVS), ProxyProtocol.ANY).source())
                .as("LOCAL with addresses").isNull();
        assertThat(parseAtEverySplit(v2(0x21, 0x00, new byte[0], TLVS), ProxyProtocol.ANY).source()).isNull();
        assertThat(parseAtEverySplit(v2(0x21, 0x31, new byte[216], new byte[0]), ProxyProtocol.ANY).source()).isNull();
    }

    @Test
    void malformedV2HeadersAreRefused() {
        byte[] badSignature = v2(0x21, 0x11, INET, new byte[0]);
        badSignature[7] = 'X';
        refusedAtEverySplit(badSignature, ProxyProtocol.ANY, "wrong signature");
        refusedAtEverySplit(v2(0x11, 0x11, INET, new byte[0]), ProxyProtocol.ANY, "version 1");
        refusedAtEverySplit(v2(0x22, 0x11, INET, new byte[0]), ProxyProtocol.ANY, "unknown command");
        refusedAtEverySplit(v2(0x21, 0x41, INET, new byte[0]), ProxyProtocol.ANY, "unknown address family");
        refusedAtEverySplit(v2(0x21, 0x13, INET, new byte[0]), ProxyProtocol.ANY, "unknown address family or transport");
        refusedAtEverySplit(v2(0x21, 0x21, INET, new byte[0]), ProxyProtocol.ANY, "too short for its address family");
        refusedAtEverySplit(v2(0x21, 0x11, INET, new byte[ProxyHeader.MAX_LENGTH]), ProxyProtocol.ANY, "at most 4096");
    }

    @Test
    void aServerTakingOneVersionRefusesTheOther() {
        refusedAtEverySplit(v2(0x21, 0x11, INET, new byte[0]), ProxyProtocol.V1, "no PROXY protocol V1 header");
        refusedAtEverySplit(ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"), ProxyProtocol.V2, "no PROXY protocol V2 header");
    }

    @Test
    void nothingReceivedIsIncomplete() throws Exception {
        if (ProxyHeader.parse(ByteBuffer.allocate(0), 0, 0, ProxyProtocol.ANY) != null) {
            fail("an empty input is no header");
        }
    }
}
