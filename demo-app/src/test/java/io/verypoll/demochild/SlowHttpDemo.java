package io.verypoll.demochild;

import io.verypoll.demo.DemoApplication;
import io.verypoll.spring.boot.context.VerypollServerStartedEvent;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The demo with one slow HTTP endpoint, run as a child process by {@code DemoShutdownTest}: it prints
 * its ports, then serves until it gets SIGTERM. Outside the demo's package, so that the demo's
 * component scan (and its other tests) never see it.
 */
public final class SlowHttpDemo {
    /** The line printed when a request has reached the slow endpoint. */
    public static final String SLOW_STARTED = "SLOW started";

    private SlowHttpDemo() {
    }

    public static void main(String[] args) {
        SpringApplication.run(new Class<?>[] {DemoApplication.class, SlowEndpoint.class}, args);
    }

    @Configuration(proxyBeanMethods = false)
    static class SlowEndpoint {

        @Bean
        SlowController slowController() {
            return new SlowController();
        }

        @EventListener
        void http(WebServerInitializedEvent event) {
            System.out.println("PORT http " + event.getWebServer().getPort());
        }

        @EventListener
        void verypoll(VerypollServerStartedEvent event) {
            System.out.println("PORT " + event.server().name() + " " + event.server().port());
        }
    }

    @RestController
    static class SlowController {
        @GetMapping("/slow")
        String slow(@RequestParam long ms) throws InterruptedException {
            System.out.println(SLOW_STARTED); // the test sends SIGTERM only once the request is here
            Thread.sleep(ms); // an HTTP request still in flight when the shutdown starts
            return "done";
        }
    }
}
