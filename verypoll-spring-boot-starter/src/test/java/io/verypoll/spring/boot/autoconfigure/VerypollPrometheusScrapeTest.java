package io.verypoll.spring.boot.autoconfigure;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.verypoll.spring.boot.server.TcpServer;
import io.verypoll.spring.boot.server.UdpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.prometheus.PrometheusMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Map.entry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every verypoll meter as Prometheus scrapes it: family name with its unit suffix, and type. One
 * TCP and one UDP server run; the handler-error totals must be there at 0 before the first error,
 * so that {@code increase()} sees that error.
 */
@Timeout(60)
class VerypollPrometheusScrapeTest {

    /** Each family of a scrape with no handler error yet, and its {@code # TYPE}. */
    private static final Map<String, String> FAMILIES = new TreeMap<>(Map.ofEntries(
            entry("verypoll_loop_events_total", "counter"),
            entry("verypoll_loop_wait_seconds", "summary"),
            entry("verypoll_loop_wait_max_seconds", "gauge"),
            entry("verypoll_loop_wait_histogram_total", "counter"),
            entry("verypoll_loop_cycle_seconds", "summary"),
            entry("verypoll_loop_cycle_max_seconds", "gauge"),
            entry("verypoll_loop_cycle_histogram_total", "counter"),
            entry("verypoll_loop_wakeups_total", "counter"),
            entry("verypoll_loop_tasks_pending", "gauge"),
            entry("verypoll_loop_tasks_rejected_total", "counter"),
            entry("verypoll_loop_registrations", "gauge"),
            entry("verypoll_loop_blocked_total", "counter"),
            entry("verypoll_loop_handler_errors_total", "counter"),
            entry("verypoll_connections_active", "gauge"),
            entry("verypoll_connections_accepted_total", "counter"),
            entry("verypoll_connections_rejected_total", "counter"),
            entry("verypoll_connections_closed_total", "counter"),
            entry("verypoll_data_pending_bytes", "gauge"),
            entry("verypoll_input_buffered_bytes", "gauge"),
            entry("verypoll_offload_in_flight", "gauge"),
            entry("verypoll_offload_dropped_total", "counter"),
            entry("verypoll_data_received_bytes_total", "counter"),
            entry("verypoll_data_sent_bytes_total", "counter"),
            entry("verypoll_datagrams_received_total", "counter"),
            entry("verypoll_datagrams_sent_total", "counter"),
            entry("verypoll_datagrams_dropped_total", "counter"),
            entry("verypoll_datagrams_receive_errors_total", "counter"),
            entry("verypoll_handler_errors_total", "counter")));

    private static final Pattern TYPE = Pattern.compile("^# TYPE (verypoll_\\w+) (\\w+)$", Pattern.MULTILINE);

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withPropertyValues("verypoll.loops=2", "verypoll.shutdown-timeout=0s")
            .withConfiguration(AutoConfigurations.of(VerypollAutoConfiguration.class,
                    VerypollMetricsAutoConfiguration.class, MetricsAutoConfiguration.class,
                    CompositeMeterRegistryAutoConfiguration.class, PrometheusMetricsExportAutoConfiguration.class))
            .withBean("tcp", TcpServer.class, () -> TcpServer.builder().port(0).handler((c, data) -> {
                if (data.get(data.position()) == 'X') {
                    throw new IllegalStateException("a handler bug, on purpose");
                }
                c.write(data);
            }).build())
            .withBean("udp", UdpServer.class, () -> UdpServer.builder().port(0).handler((u, data, sender) -> {
                if (data.get(data.position()) == '!') {
                    throw new IllegalArgumentException("a datagram handler bug, on purpose");
                }
                u.send(data, sender);
            }).build());

    @Test
    void everyMeterHasItsNameTypeAndUnitSuffixBeforeAnyError() {
        runner.run(context -> {
            exchangeOnce(context);
            String scrape = scrape(context);
            assertThat(families(scrape)).isEqualTo(FAMILIES);

            // The totals an alert watches are there, at 0.
            assertThat(value(scrape, "verypoll_handler_errors_total{server=\"tcp\"}")).isZero();
            assertThat(value(scrape, "verypoll_handler_errors_total{server=\"udp\"}")).isZero();
            assertThat(value(scrape, "verypoll_loop_handler_errors_total{loop=\"0\"}")).isZero();
            assertThat(value(scrape, "verypoll_loop_handler_errors_total{loop=\"1\"}")).isZero();
            assertThat(scrape).doesNotContain("verypoll_handler_errors_by_exception");

            // Connection meters belong to the stream server, datagram meters to the UDP one.
            assertThat(lines(scrape, "verypoll_connections_")).isNotEmpty().allMatch(l -> l.contains("server=\"tcp\""));
            assertThat(lines(scrape, "verypoll_data_pending_bytes{")).singleElement().asString().contains("server=\"tcp\"");
            assertThat(lines(scrape, "verypoll_datagrams_")).hasSize(4).allMatch(l -> l.contains("server=\"udp\""));
            assertThat(value(scrape, "verypoll_connections_closed_total{reason=\"shutdown-forced\",server=\"tcp\"}")).isZero();

            // 15 cumulative buckets per loop and timer, in seconds, the last unbounded.
            for (String timer : List.of("wait", "cycle")) {
                List<String> buckets = lines(scrape, "verypoll_loop_" + timer + "_histogram_total{");
                assertThat(buckets).hasSize(2 * 15).anyMatch(l -> l.contains("le=\"0.000001024\""))
                        .anyMatch(l -> l.contains("le=\"0.001048576\"")).anyMatch(l -> l.contains("le=\"68.719476736\""));
                assertThat(lines(scrape, "verypoll_loop_" + timer + "_seconds_count{")).hasSize(2);
                assertThat(lines(scrape, "verypoll_loop_" + timer + "_seconds_sum{")).hasSize(2);
            }
            double iterations = value(scrape, "verypoll_loop_cycle_histogram_total{le=\"+Inf\",loop=\"0\"}")
                    + value(scrape, "verypoll_loop_cycle_histogram_total{le=\"+Inf\",loop=\"1\"}");
            assertThat(iterations).as("the exchanges made loop iterations").isPositive();
        });
    }

    @Test
    void aHandlerErrorIsAnIncreaseOfTheTotalsFromZero() {
        runner.run(context -> {
            String before = scrape(context);
            assertThat(value(before, "verypoll_handler_errors_total{server=\"tcp\"}")).isZero();
            assertThat(value(before, "verypoll_handler_errors_total{server=\"udp\"}")).isZero();

            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), context.getBean(TcpServer.class).port())) {
                socket.setSoTimeout(5000);
                socket.getOutputStream().write('X');
                assertThat(socket.getInputStream().read()).as("closed by the failing handler").isEqualTo(-1);
            }
            try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
                socket.send(new DatagramPacket(new byte[] {'!'}, 1, InetAddress.getLoopbackAddress(),
                        context.getBean(UdpServer.class).port()));
            }
            await().atMost(Duration.ofSeconds(5)).until(() ->
                    value(scrape(context), "verypoll_handler_errors_total{server=\"udp\"}") == 1);
            await().atMost(Duration.ofSeconds(5)).until(() ->
                    value(scrape(context), "verypoll_handler_errors_total{server=\"tcp\"}") == 1);

            String after = scrape(context);
            assertThat(value(after, "verypoll_loop_handler_errors_total{loop=\"0\"}")
                    + value(after, "verypoll_loop_handler_errors_total{loop=\"1\"}")).isEqualTo(2);
            assertThat(value(after, "verypoll_handler_errors_by_exception_total{exception=\"IllegalStateException\"}"))
                    .isEqualTo(1);
            assertThat(value(after, "verypoll_handler_errors_by_exception_total{exception=\"IllegalArgumentException\"}"))
                    .isEqualTo(1);
            Map<String, String> withBreakdown = new TreeMap<>(FAMILIES);
            withBreakdown.put("verypoll_handler_errors_by_exception_total", "counter");
            assertThat(families(after)).isEqualTo(withBreakdown);
            assertThat(value(after, "verypoll_connections_closed_total{reason=\"handler-error\",server=\"tcp\"}"))
                    .isEqualTo(1);
        });
    }

    /** One echo on each server, so that the loops have iterated and counted something. */
    private static void exchangeOnce(AssertableApplicationContext context) throws Exception {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), context.getBean(TcpServer.class).port())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write('a');
            assertThat(socket.getInputStream().read()).isEqualTo('a');
        }
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            socket.setSoTimeout(5000);
            socket.send(new DatagramPacket(new byte[] {'b'}, 1, InetAddress.getLoopbackAddress(),
                    context.getBean(UdpServer.class).port()));
            DatagramPacket reply = new DatagramPacket(new byte[8], 8);
            socket.receive(reply);
            assertThat(reply.getLength()).isEqualTo(1);
        }
    }

    private static String scrape(AssertableApplicationContext context) {
        return context.getBean(PrometheusMeterRegistry.class).scrape();
    }

    private static Map<String, String> families(String scrape) {
        Map<String, String> families = new TreeMap<>();
        Matcher type = TYPE.matcher(scrape);
        while (type.find()) {
            families.put(type.group(1), type.group(2));
        }
        return families;
    }

    private static List<String> lines(String scrape, String prefix) {
        return scrape.lines().filter(line -> line.startsWith(prefix)).toList();
    }

    /** The value of one series, written as Prometheus does: labels sorted by name. */
    private static double value(String scrape, String series) {
        List<String> found = lines(scrape, series + " ");
        assertThat(found).as(series).hasSize(1);
        return Double.parseDouble(found.get(0).substring(series.length() + 1));
    }
}
