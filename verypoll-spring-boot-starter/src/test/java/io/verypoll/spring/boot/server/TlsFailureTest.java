package io.verypoll.spring.boot.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import java.nio.ByteBuffer;
import java.security.cert.CertificateException;

import static org.assertj.core.api.Assertions.assertThat;

/** The bounded causes of TLS failures, from the engine's exceptions and from the alerts it sends. */
@Timeout(10)
class TlsFailureTest {

    private static ByteBuffer alert(int description) {
        return ByteBuffer.wrap(new byte[] {21, 3, 3, 0, 2, 2, (byte) description});
    }

    @Test
    void alertsNameTheirCause() {
        assertThat(TlsFailure.ofAlert(alert(48))).isEqualTo(TlsFailure.CERTIFICATE); // unknown_ca
        assertThat(TlsFailure.ofAlert(alert(116))).isEqualTo(TlsFailure.CERTIFICATE); // certificate_required
        assertThat(TlsFailure.ofAlert(alert(40))).isEqualTo(TlsFailure.NEGOTIATION); // handshake_failure
        assertThat(TlsFailure.ofAlert(alert(70))).isEqualTo(TlsFailure.NEGOTIATION); // protocol_version
        assertThat(TlsFailure.ofAlert(alert(120))).isEqualTo(TlsFailure.NEGOTIATION); // no_application_protocol
        assertThat(TlsFailure.ofAlert(alert(80))).isEqualTo(TlsFailure.HANDSHAKE); // internal_error
    }

    @Test
    void whatIsNoPlaintextAlertIsAHandshakeFailure() {
        assertThat(TlsFailure.ofAlert(ByteBuffer.allocate(0))).isEqualTo(TlsFailure.HANDSHAKE);
        assertThat(TlsFailure.ofAlert(ByteBuffer.wrap(new byte[] {23, 3, 3, 0, 2, 2, 40}))).isEqualTo(TlsFailure.HANDSHAKE);
        assertThat(TlsFailure.ofAlert(ByteBuffer.wrap(new byte[] {21, 3, 3, 0, 19, 1, 2, 3}))).as("an encrypted alert")
                .isEqualTo(TlsFailure.HANDSHAKE);
    }

    @Test
    void exceptionsNameTheirCause() {
        assertThat(TlsFailure.of(new SSLHandshakeException("PKIX path building failed"), true))
                .isEqualTo(TlsFailure.CERTIFICATE);
        SSLHandshakeException wrapped = new SSLHandshakeException("x");
        wrapped.initCause(new CertificateException("bad"));
        assertThat(TlsFailure.of(wrapped, true)).isEqualTo(TlsFailure.CERTIFICATE);
        assertThat(TlsFailure.of(new SSLHandshakeException("no cipher suites in common"), true))
                .isEqualTo(TlsFailure.NEGOTIATION);
        assertThat(TlsFailure.of(new SSLHandshakeException("Client requested protocol TLSv1.1 is not enabled"), true))
                .isEqualTo(TlsFailure.NEGOTIATION);
        assertThat(TlsFailure.of(new SSLHandshakeException("Insufficient buffer"), true)).isEqualTo(TlsFailure.HANDSHAKE);
        assertThat(TlsFailure.of(new SSLException("Tag mismatch"), false)).isEqualTo(TlsFailure.RECORD);
    }
}
