package io.verypoll.demo;

import io.verypoll.demo.resp.RespLimits;
import io.verypoll.demo.resp.RespServer;
import io.verypoll.demo.resp.RespStore;
import io.verypoll.spring.boot.frame.FrameDecoders;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.server.Relay;
import io.verypoll.spring.boot.server.TcpClient;
import io.verypoll.spring.boot.server.TcpServer;
import io.verypoll.spring.boot.server.UdpServer;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.unit.DataSize;

import java.time.Duration;

/**
 * The demo's servers, one {@code @Bean} each: echo (7007), chat (7008), UDP echo (7009), RESP
 * (7010) and a proxy (7011), and the client the proxy opens its upstream connections with. Ports and
 * limits here are defaults; {@code verypoll.servers.<name>.*} in application.properties (or the
 * command line) overrides them.
 */
@Configuration(proxyBeanMethods = false)
class DemoServers {

    @Bean
    TcpServer echo() {
        return TcpServer.builder().port(7007).handler(new EchoHandler()).build();
    }

    @Bean
    ChatRoom chatRoom(PollLoopGroup loops) {
        return new ChatRoom(loops);
    }

    @Bean
    TcpServer chat(ChatRoom room, @Value("${demo.chat.max-line-bytes:1024}") int maxLineBytes) {
        return TcpServer.builder()
                .port(7008)
                // A reader more than 1 MiB behind the conversation is cut off.
                .maxPendingBytes(1024 * 1024)
                // A longer line closes the connection (frame-too-long) after ChatSession's error line.
                .maxFrameLength(maxLineBytes)
                .decoder(FrameDecoders.lines(maxLineBytes))
                .messageHandlerFactory(connection -> new ChatSession(room, maxLineBytes, connection))
                .build();
    }

    /**
     * The echo over TLS: the SSL bundle "demo" (application.properties) is a throwaway self-signed
     * certificate for localhost. The handshake is done before the handler opens.
     */
    @Bean("tls-echo")
    TcpServer tlsEcho() {
        return TcpServer.builder().port(7443).sslBundle("demo").handler(new EchoHandler()).build();
    }

    @Bean
    RespStore respStore() {
        return new RespStore();
    }

    /**
     * RESP2 on 7010 (redis-cli -p 7010). A command may take 8 MiB as sent (a SET of a 5 MiB value
     * fits): the decoder reads the same max-frame-length the server enforces, so that it fails as soon
     * as a header announces more. Held input stays bounded by max-buffered-input (64 MiB) over all
     * connections. DEBUG SLEEP runs on Boot's applicationTaskExecutor (see RespCommands).
     */
    @Bean
    TcpServer resp(PollLoopGroup loops, RespStore store,
            @Value("${verypoll.servers.resp.max-frame-length:8MB}") DataSize maxCommand,
            @Value("${demo.resp.max-arguments:1024}") int maxArguments,
            @Value("${demo.resp.max-inline-length:64KB}") DataSize maxInline) {
        int command = (int) Math.min(Integer.MAX_VALUE, maxCommand.toBytes());
        RespLimits limits = new RespLimits(maxArguments, command, (int) Math.min(command, maxInline.toBytes()), command);
        return RespServer.builder(loops, store, limits).build();
    }

    /**
     * The proxy's way to its upstream: no link of its own, one connection per proxied connection, opened
     * on that connection's loop. Where it points is configuration: verypoll.clients.proxy-upstream.*
     * (application.properties points it at the echo server's real port).
     */
    @Bean("proxy-upstream")
    TcpClient proxyUpstream() {
        return TcpClient.builder().host("127.0.0.1").port(7007).link(false).connectTimeout(Duration.ofSeconds(2)).build();
    }

    /** A TCP proxy: every accepted connection relayed, with backpressure and half-close, to the upstream. */
    @Bean
    TcpServer proxy(@Qualifier("proxy-upstream") TcpClient upstream) {
        return TcpServer.builder().port(7011).handlerFactory(Relay.to(upstream)).build();
    }

    @Bean("udp-echo")
    UdpServer udpEcho() {
        return UdpServer.builder().port(7009).handler((server, data, sender) -> server.send(data, sender)).build();
    }
}
