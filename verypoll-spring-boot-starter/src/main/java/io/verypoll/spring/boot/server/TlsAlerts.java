package io.verypoll.spring.boot.server;

import javax.net.ssl.SSLEngine;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * How a {@link TlsChannel} fails: the engine's alert goes out (best effort: it tells the peer why) and
 * the failure is named ({@link TlsFailure}). Apart from the channel because it runs once per failed
 * connection, never on the read or write path; static, so that a connection holds nothing for it.
 */
final class TlsAlerts {

    /** Record type of a handshake: the first byte of every ClientHello. */
    private static final int HANDSHAKE_RECORD = 22;

    private TlsAlerts() {
    }

    /** Loads and initialises this class: its owner calls it from its static initialiser (see there why). */
    static void load() {
    }

    /**
     * Closes the engine's output, sends its alert through {@code inner} if the socket takes it at once,
     * and names the failure: a peer whose first byte was not a handshake record did not speak TLS at all.
     */
    static LayerFailure failed(Exception error, boolean handshaking, int firstByte, SSLEngine engine,
                               ByteBuffer netOut, StreamChannel inner) {
        try {
            engine.closeOutbound();
            sendAlert(engine, netOut, inner);
        } catch (IOException | RuntimeException ignored) {
            // the connection closes anyway
        }
        TlsFailure cause = firstByte >= 0 && firstByte != HANDSHAKE_RECORD && handshaking ? TlsFailure.NOT_TLS
                : TlsFailure.of(error, handshaking);
        return LayerFailure.tls(cause, error.getMessage(), error);
    }

    /**
     * Wraps what the engine has to say now (after a close or a failure: its alert) into {@code netOut},
     * sends it through {@code inner}, and returns the failure the alert names.
     */
    static TlsFailure sendAlert(SSLEngine engine, ByteBuffer netOut, StreamChannel inner) throws IOException {
        ByteBuffer net = netOut.clear();
        engine.wrap(TlsChannel.NOTHING, 0, 1, net);
        net.flip();
        TlsFailure cause = TlsFailure.ofAlert(net);
        inner.write(net);
        return cause;
    }
}
