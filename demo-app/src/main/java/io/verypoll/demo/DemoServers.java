package io.verypoll.demo;

import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.server.Relay;
import io.verypoll.spring.boot.server.TcpClient;
import io.verypoll.spring.boot.server.TcpServer;
import io.verypoll.spring.boot.server.UdpServer;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.time.Duration;

/**
 * The demo's servers, one {@code @Bean} each, and the client the proxy opens its upstream connections with. Ports and limits here are defaults;
 * {@code verypoll.servers.<name>.*} in application.properties (or the command line) overrides them.
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
                .handlerFactory(connection -> new ChatSession(room, maxLineBytes, connection))
                .build();
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
