/**
 * Socket servers on the loops: {@link io.verypoll.spring.boot.server.TcpServer},
 * {@link io.verypoll.spring.boot.server.UnixServer} and {@link io.verypoll.spring.boot.server.UdpServer},
 * declared as beans; {@link io.verypoll.spring.boot.server.Connection}s with their state machine and
 * outbound buffer; handlers, close reasons, counters, the kinds of server and their settings (each
 * declared once, as a {@link io.verypoll.spring.boot.server.ServerSetting}).
 *
 * <p>May use: the {@code loop} package, verypoll-core and the JDK (and Spring's
 * {@code BeanNameAware}, so a server takes its bean name). Never {@code context}, {@code actuate}
 * or {@code autoconfigure}.
 */
package io.verypoll.spring.boot.server;
