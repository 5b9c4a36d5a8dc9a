package io.verypoll.spring.boot.loop;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * Runs one loopback connect, accept, write, read and close before the loops start, so that the JDK
 * classes on those paths are initialised while file descriptors are plentiful. Measured here: the
 * first channel close initialises sun.nio.ch.FileDispatcherImpl, which needs a descriptor of its own;
 * if that first close happens at EMFILE the class is broken for the rest of the JVM's life
 * (NoClassDefFoundError on every later close).
 */
final class SocketPathWarmUp {

    private static final Log log = LogFactory.getLog(SocketPathWarmUp.class);
    private static volatile boolean done;

    private SocketPathWarmUp() {
    }

    static synchronized void run() {
        if (done) {
            return;
        }
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            try (SocketChannel client = SocketChannel.open(listener.getLocalAddress());
                 SocketChannel accepted = listener.accept()) {
                client.write(ByteBuffer.wrap(new byte[] {1}));
                accepted.read(ByteBuffer.allocate(1));
            }
            done = true;
        } catch (IOException | RuntimeException e) {
            // Only a precaution: failing it must not stop the application.
            log.debug("socket path warm-up failed", e);
        }
    }
}
