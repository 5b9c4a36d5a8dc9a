package io.verypoll.spring.boot.server;

/** Makes one handler per accepted connection, on the connection's loop thread. */
@FunctionalInterface
public interface ConnectionHandlerFactory {

    ConnectionHandler create(Connection connection) throws Exception;
}
