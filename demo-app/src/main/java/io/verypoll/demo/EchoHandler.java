package io.verypoll.demo;


import io.verypoll.spring.boot.server.Connection;
import io.verypoll.spring.boot.server.ConnectionHandler;
import java.nio.ByteBuffer;

/**
 * Writes every byte back. Stateless, so one instance serves all connections. Backpressure needs no
 * code here: when the peer does not read, the connection stops reading at its high watermark.
 */
final class EchoHandler implements ConnectionHandler {

    @Override
    public void onData(Connection connection, ByteBuffer data) {
        connection.write(data);
    }
}
