package io.verypoll.spring.boot.context;

import io.verypoll.spring.boot.server.TcpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.context.ConfigurableApplicationContext;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.verypoll.spring.boot.context.LifecycleRestartTest.echoes;
import static io.verypoll.spring.boot.context.LifecycleRestartTest.start;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** verypoll.servers.<name>.accept in a context: a restart, and a context that stops while clients connect. */
@Timeout(120)
class ListenersAcrossLoopsContextTest {

    private ConfigurableApplicationContext context;
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void close() {
        threads.shutdownNow();
        if (context != null) {
            context.close();
        }
    }

    @Test
    void aReuseportServerRestartsOnItsPortWithAListenerPerLoop() throws Exception {
        context = start("verypoll.server-defaults.port=0", "verypoll.shutdown-timeout=1s", "verypoll.servers.echo.accept=reuseport");
        TcpServer echo = context.getBean(TcpServer.class);
        int port = echo.port();
        assertThat(echo.listeners()).isEqualTo(2);
        echoes(port);
        context.stop();
        assertThat(echo.listeners()).isZero();
        context.start();
        // Its own listeners are gone, so the probe for another instance passes and the old port is bound again.
        assertThat(echo.port()).isEqualTo(port);
        assertThat(echo.listeners()).isEqualTo(2);
        echoes(port);
        assertThat(echo.acceptedConnections()).as("counters go on").isEqualTo(2);
    }

    @Test
    void aSecondInstanceOnTheSamePortFailsAsForAPortInUse() throws Exception {
        context = start("verypoll.server-defaults.port=0", "verypoll.servers.echo.accept=reuseport");
        int port = context.getBean(TcpServer.class).port();
        // SO_REUSEPORT alone would let the second one bind and take half the connections.
        assertThatThrownBy(() -> start("verypoll.servers.echo.port=" + port, "verypoll.servers.echo.accept=reuseport")
                .close()).hasStackTraceContaining("verypoll server 'echo' could not bind 127.0.0.1:" + port)
                .hasRootCauseInstanceOf(BindException.class);
        echoes(port);
    }

    /**
     * Bounded stress: clients connect, send a byte and read, in a loop, while the context closes. Every
     * connection the server accepted ends orderly, with the echo or an end of stream, and the rest are
     * refused. The one loss left is the kernel's: a connection that completes its handshake between a
     * listener's last accept and its close (microseconds; see the README) is reset without the server
     * ever seeing it. In 30 runs of each mode that happened once (hand-off), where without the drain
     * and the prompt close 17 of 24 runs lost two to nine connections.
     */
    @ParameterizedTest
    @ValueSource(strings = {"hand-off", "reuseport"})
    void clientsConnectingWhileTheContextStopsAreRefusedOrEndOrderly(String accept) throws Exception {
        context = start("verypoll.server-defaults.port=0", "verypoll.shutdown-timeout=5s",
                "verypoll.servers.echo.accept=" + accept);
        TcpServer echo = context.getBean(TcpServer.class);
        int port = echo.port();
        AtomicInteger echoed = new AtomicInteger();
        AtomicInteger ended = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        Queue<String> failures = new ConcurrentLinkedQueue<>();
        AtomicBoolean closing = new AtomicBoolean();
        List<Future<?>> clients = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            clients.add(threads.submit(() -> {
                for (int i = 0; i < 5_000; i++) {
                    try (Socket socket = new Socket()) {
                        socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                        socket.setSoTimeout(10_000);
                        socket.getOutputStream().write('x');
                        int read = socket.getInputStream().read();
                        if (read == 'x') {
                            echoed.incrementAndGet();
                        } else if (read == -1) {
                            ended.incrementAndGet();
                        } else {
                            failures.add("read " + read);
                        }
                    } catch (ConnectException e) {
                        refused.incrementAndGet();
                        if (closing.get()) {
                            return;
                        }
                    } catch (IOException e) {
                        failures.add(e.toString());
                    }
                }
            }));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> echoed.get() >= 300 || !failures.isEmpty());
        closing.set(true);
        context.close();
        for (Future<?> client : clients) {
            client.get(60, TimeUnit.SECONDS);
        }
        System.out.println("accept=" + accept + ", context closed while 3 clients connected: echoed " + echoed
                + ", ended " + ended + ", refused " + refused + ", failed " + failures.size() + " " + failures);
        assertThat(echoed.get() + ended.get()).as("accepted connections that ended orderly")
                .isEqualTo(echo.acceptedConnections());
        assertThat(failures).as("connections reset in the window between a listener's last accept and its close")
                .hasSizeLessThanOrEqualTo(1);
        assertThat(echoed.get()).isGreaterThanOrEqualTo(300);
        assertThat(refused.get()).as("connects after the listeners closed").isPositive();
    }
}
