package io.verypoll.spring.boot.server;

/**
 * What to do with the result of offloaded work ({@link Connection#offload}), back on the connection's
 * loop thread, in the order the work was offloaded: write a reply, usually. Also the shape of a
 * failure handler, with the exception as the value.
 *
 * <p>An exception thrown here closes the connection ({@link CloseReason#HANDLER_ERROR}) and is counted
 * in {@code verypoll.handler.errors}, as from any handler method.
 *
 * @param <T> the work's result
 */
@FunctionalInterface
public interface OffloadReply<T> {

    void reply(Connection connection, T value) throws Exception;
}
