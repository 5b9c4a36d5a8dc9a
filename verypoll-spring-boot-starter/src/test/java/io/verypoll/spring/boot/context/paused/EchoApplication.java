package io.verypoll.spring.boot.context.paused;

import io.verypoll.spring.boot.context.VerypollServerStartedEvent;
import io.verypoll.spring.boot.server.TcpServer;
import io.verypoll.spring.boot.server.UdpServer;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.event.EventListener;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The application of the first and third test class: one echo server. */
@SpringBootConfiguration
@EnableAutoConfiguration
public class EchoApplication {

    /** The port of every start of the echo server, across the test classes that share this context. */
    static final List<Integer> STARTS = new CopyOnWriteArrayList<>();

    @Bean
    TcpServer echo() {
        return TcpServer.builder().handler((connection, data) -> connection.write(data)).build();
    }

    /** A UDP server too: it must stop with a paused context like the TCP one, or it cannot start again. */
    @Bean
    UdpServer datagrams() {
        return UdpServer.builder().handler((server, data, sender) -> server.send(data, sender)).build();
    }

    @EventListener
    void started(VerypollServerStartedEvent event) {
        if (event.server().name().equals("echo")) {
            STARTS.add(event.server().port());
        }
    }
}
