package io.verypoll.spring.boot.server;

import org.springframework.boot.ssl.DefaultSslBundleRegistry;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundleKey;
import org.springframework.boot.ssl.SslOptions;
import org.springframework.boot.ssl.pem.PemSslStoreBundle;
import org.springframework.boot.ssl.pem.PemSslStoreDetails;

import javax.net.ssl.SSLContext;
import java.math.BigInteger;
import java.security.cert.X509Certificate;

/**
 * The throwaway test certificates of {@code src/test/resources/tls} (see generate.sh there) as Boot
 * SSL bundles and JDK client contexts: a test CA, two localhost certificates it signed
 * ({@code server}, {@code server2}), a client certificate, and a CA nobody trusts.
 */
final class TlsMaterial {

    private TlsMaterial() {
    }

    /** A server bundle: {@code name}.crt/.key, trusting the test CA (for client certificates). */
    static SslBundle serverBundle(String name) {
        return serverBundle(name, SslOptions.NONE);
    }

    static SslBundle serverBundle(String name, SslOptions options) {
        PemSslStoreDetails key = PemSslStoreDetails.forCertificate("classpath:tls/" + name + ".crt")
                .withPrivateKey("classpath:tls/" + name + ".key");
        PemSslStoreDetails trust = PemSslStoreDetails.forCertificate("classpath:tls/ca.crt");
        return SslBundle.of(new PemSslStoreBundle(key, trust), SslBundleKey.NONE, options);
    }

    /** A registry with the bundle "server". */
    static DefaultSslBundleRegistry registry() {
        return new DefaultSslBundleRegistry("server", serverBundle("server"));
    }

    /** A client context trusting {@code ca} ("ca" or "other-ca"), with the client certificate or without. */
    static SSLContext client(String ca, boolean withCertificate) {
        PemSslStoreDetails trust = PemSslStoreDetails.forCertificate("classpath:tls/" + ca + ".crt");
        PemSslStoreDetails key = withCertificate ? PemSslStoreDetails.forCertificate("classpath:tls/client.crt")
                .withPrivateKey("classpath:tls/client.key") : null;
        return SslBundle.of(new PemSslStoreBundle(key, trust)).createSslContext();
    }

    static SSLContext client() {
        return client("ca", false);
    }

    /** The serial number of the certificate in {@code name}.crt. */
    static BigInteger serial(String name) throws Exception {
        PemSslStoreDetails details = PemSslStoreDetails.forCertificate("classpath:tls/" + name + ".crt");
        java.security.KeyStore store = new PemSslStoreBundle(null, details).getTrustStore();
        X509Certificate certificate = (X509Certificate) store.getCertificate(store.aliases().nextElement());
        return certificate.getSerialNumber();
    }
}
