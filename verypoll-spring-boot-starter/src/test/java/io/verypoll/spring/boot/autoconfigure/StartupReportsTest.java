package io.verypoll.spring.boot.autoconfigure;

import io.verypoll.spring.boot.server.TcpServer;
import io.verypoll.spring.boot.server.UdpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Startup as a user meets it: Boot's failure report for a bean without a handler; ports in parent contexts. */
@Timeout(60)
class StartupReportsTest {

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(VerypollAutoConfiguration.class)
    static class NoHandler {
        @Bean
        UdpServer lonely() {
            return UdpServer.builder().port(0).build();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(VerypollAutoConfiguration.class)
    static class Echo {
        @Bean
        TcpServer echo() {
            return TcpServer.builder().port(0).handler((c, data) -> c.write(data)).build();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class Parent {
    }

    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void aServerBeanWithoutAHandlerGetsBootsFailureReportWithTheAction(CapturedOutput output) {
        assertThatThrownBy(() -> new SpringApplicationBuilder(NoHandler.class).web(WebApplicationType.NONE)
                .properties("spring.main.banner-mode=off", "verypoll.loops=1").run()).isNotNull();
        assertThat(output).contains("APPLICATION FAILED TO START")
                .contains("The verypoll server bean 'lonely' could not be built: a UdpServer needs a handler.")
                .contains("Give its builder a handler: UdpServer.builder().handler((server, data, sender) -> ...).");
    }

    @Test
    void portsArePublishedToTheParentContextToo() {
        try (ConfigurableApplicationContext parent = new SpringApplicationBuilder(Parent.class)
                .web(WebApplicationType.NONE).properties("spring.main.banner-mode=off").run();
             ConfigurableApplicationContext child = new SpringApplicationBuilder(Echo.class).parent(parent)
                     .web(WebApplicationType.NONE).properties("spring.main.banner-mode=off", "verypoll.loops=1",
                             "verypoll.shutdown-timeout=0s").run()) {
            int port = child.getBean(TcpServer.class).port();
            assertThat(child.getEnvironment().getProperty("local.verypoll.echo.port", Integer.class)).isEqualTo(port);
            assertThat(parent.getEnvironment().getProperty("local.verypoll.echo.port", Integer.class)).isEqualTo(port);
        }
    }
}
