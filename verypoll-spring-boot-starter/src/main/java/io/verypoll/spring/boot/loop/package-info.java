/**
 * The poll-loop runtime: {@link io.verypoll.spring.boot.loop.PollLoopGroup} and its
 * {@link io.verypoll.spring.boot.loop.PollLoop}s (one platform thread each, owning a
 * {@link io.verypoll.Poll}), their token tables, timer heaps, bounded task queues, counters and the
 * blocked-loop watchdog. Applications use it at mio's level (register a source with a handler,
 * execute, schedule); servers use {@link io.verypoll.spring.boot.loop.LoopRuntime}.
 *
 * <p>May use: verypoll-core and the JDK (plus commons-logging). Never the {@code server},
 * {@code context}, {@code actuate} or {@code autoconfigure} packages, and never core's internals.
 */
package io.verypoll.spring.boot.loop;
