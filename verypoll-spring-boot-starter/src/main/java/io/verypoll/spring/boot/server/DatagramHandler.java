package io.verypoll.spring.boot.server;

import java.net.SocketAddress;
import java.nio.ByteBuffer;

/**
 * Receives the datagrams of a {@link UdpServer} on the server's loop thread. {@code data} is the loop's
 * shared buffer, valid until the method returns. An exception is counted and logged; the socket stays
 * open.
 */
@FunctionalInterface
public interface DatagramHandler {

    void onDatagram(UdpServer server, ByteBuffer data, SocketAddress sender) throws Exception;
}
