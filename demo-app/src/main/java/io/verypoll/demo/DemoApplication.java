package io.verypoll.demo;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The verypoll demo: a TCP echo server (7007), a line chat (7008), a UDP echo server (7009) and
 * Actuator on 8080, all on loopback. Kept out of package io.verypoll so component scanning never
 * reaches the starter's auto-configurations.
 */
@SpringBootApplication
public class DemoApplication {

    public static void main(String[] args) {
        SpringApplication.run(DemoApplication.class, args);
    }
}
