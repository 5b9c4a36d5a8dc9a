package io.verypoll.demo.resp;

import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.server.TcpServer;

import java.time.Duration;

/**
 * The RESP server as a {@link TcpServer} builder: a {@link RespRequestDecoder} per connection, one
 * {@link RespCommands} per loop, max-frame-length set to the longest command. Shared by the demo's
 * bean and tests that run the server outside Spring.
 */
public final class RespServer {

    public static final int DEFAULT_PORT = 7010;

    private RespServer() {
    }

    /**
     * @param loops the group the server will run on: one command handler is made per loop
     * @param limits the request limits; {@code maxCommandLength} becomes the server's max-frame-length
     */
    public static TcpServer.Builder builder(PollLoopGroup loops, RespStore store, RespLimits limits) {
        RespCommands[] perLoop = new RespCommands[loops.loops().size()];
        for (int i = 0; i < perLoop.length; i++) {
            perLoop[i] = new RespCommands(store);
        }
        return TcpServer.builder()
                .port(DEFAULT_PORT)
                .maxFrameLength(limits.maxCommandLength())
                // As redis-server's default (timeout 0): an idle client stays; max-connections bounds them.
                .idleTimeout(Duration.ZERO)
                .decoder(() -> new RespRequestDecoder(limits))
                .messageHandlerFactory(connection -> perLoop[connection.loop().index()]);
    }
}
