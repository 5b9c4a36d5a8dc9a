package io.verypoll.demochild;

import io.verypoll.demo.resp.RespLimits;
import io.verypoll.demo.resp.RespServer;
import io.verypoll.demo.resp.RespStore;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.server.TcpServer;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;

/**
 * The demo's RESP server, built as its bean builds it, alone in a JVM of its own, for
 * {@code RespIdleHeapTest} to weigh: prints its port, then answers "active" (open connections) and
 * "heap" (bytes of heap in use after full collections) on stdin. No Spring: its background work
 * would only add noise to the heap readings.
 */
public final class RespHeapChild {

    private RespHeapChild() {
    }

    public static void main(String[] args) throws Exception {
        PollLoopGroup group = new PollLoopGroup(
                new PollLoopGroup.Settings(1, 256, Duration.ofSeconds(2), Duration.ofSeconds(1), 1024, 65_536));
        TcpServer server = RespServer.builder(group, new RespStore(), RespLimits.DEFAULTS).name("resp").port(0).build();
        server.start(group);
        System.out.println("PORT " + server.port());
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.equals("active")) {
                System.out.println("ACTIVE " + server.activeConnections());
            } else if (line.equals("heap")) {
                System.out.println("HEAP " + heapUsedAfterGc());
            }
            System.out.flush();
        }
        server.stopAccepting(Duration.ofSeconds(1));
        server.forceClose(Duration.ofSeconds(1));
        group.stop(Duration.ofSeconds(5));
    }

    private static long heapUsedAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        // Several collections: the lowest reading has the least floating garbage.
        for (int i = 0; i < 4; i++) {
            System.gc();
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
