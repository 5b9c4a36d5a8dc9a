package io.verypoll.demo;

import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.server.TcpServer;
import io.verypoll.spring.boot.server.UdpServer;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The demo's servers, one {@code @Bean} each. Ports and limits here are defaults;
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
     * The echo over TLS: the SSL bundle "demo" (application.properties) is a throwaway self-signed
     * certificate for localhost. The handshake is done before the handler opens.
     */
    @Bean("tls-echo")
    TcpServer tlsEcho() {
        return TcpServer.builder().port(7443).sslBundle("demo").handler(new EchoHandler()).build();
    }

    @Bean("udp-echo")
    UdpServer udpEcho() {
        return UdpServer.builder().port(7009).handler((server, data, sender) -> server.send(data, sender)).build();
    }
}
