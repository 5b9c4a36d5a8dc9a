package io.verypoll.spring.boot.context.paused;

import io.verypoll.spring.boot.server.TcpServer;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

/** The application of the second test class: another configuration, so another cached context. */
@SpringBootConfiguration
@EnableAutoConfiguration
public class OtherApplication {

    @Bean
    TcpServer upper() {
        return TcpServer.builder().handler((connection, data) -> {
            byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            connection.write(new String(bytes).toUpperCase().getBytes());
        }).build();
    }
}
