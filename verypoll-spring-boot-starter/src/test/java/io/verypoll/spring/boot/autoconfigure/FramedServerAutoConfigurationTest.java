package io.verypoll.spring.boot.autoconfigure;

import io.micrometer.core.instrument.MeterRegistry;
import io.verypoll.spring.boot.frame.FrameDecoders;
import io.verypoll.spring.boot.frame.FrameEncoders;
import io.verypoll.spring.boot.server.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A framed server bean: its limits come from properties too, and its input and closes show in the meters. */
@Timeout(60)
class FramedServerAutoConfigurationTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withPropertyValues("verypoll.loops=1", "verypoll.shutdown-timeout=0s",
                    "verypoll.servers.lines.max-frame-length=16B", "verypoll.servers.lines.max-buffered-input=1MB")
            .withConfiguration(AutoConfigurations.of(VerypollAutoConfiguration.class,
                    VerypollMetricsAutoConfiguration.class, MetricsAutoConfiguration.class,
                    CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class))
            .withBean("lines", TcpServer.class, () -> TcpServer.builder().port(0).decoder(FrameDecoders.lines(1024))
                    .messageHandler((c, line) -> c.writeFrame(line, FrameEncoders.lines())).build());

    @Test
    void maxFrameLengthByPropertyClosesLongerFramesAndTheMetersCountIt() {
        runner.run(context -> {
            TcpServer server = context.getBean(TcpServer.class);
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            assertThat(server.settings().maxFrameLength()).isEqualTo(16);
            assertThat(server.settings().maxBufferedInput()).isEqualTo(1024 * 1024);
            try (Socket socket = new Socket("127.0.0.1", server.port())) {
                socket.setSoTimeout(5000);
                OutputStream out = socket.getOutputStream();
                out.write("sixteen-bytes-ok\nhalf".getBytes(StandardCharsets.US_ASCII));
                assertThat(socket.getInputStream().readNBytes(17)).asString(StandardCharsets.US_ASCII)
                        .isEqualTo("sixteen-bytes-ok\n");
                await().atMost(Duration.ofSeconds(5)).until(() ->
                        registry.get("verypoll.input.buffered").tag("server", "lines").gauge().value() > 0);
                out.write("-and-then-too-long\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(socket.getInputStream().read()).isEqualTo(-1);
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> registry.get("verypoll.connections.closed")
                    .tag("server", "lines").tag("reason", "frame-too-long").functionCounter().count() == 1);
            assertThat(registry.get("verypoll.input.buffered").tag("server", "lines").gauge().value()).isZero();
        });
    }
}
