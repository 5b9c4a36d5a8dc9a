package io.verypoll.spring.boot.server;

/** Makes one message handler per accepted connection, on the connection's loop thread. */
@FunctionalInterface
public interface MessageHandlerFactory {

    MessageHandler create(Connection connection) throws Exception;
}
