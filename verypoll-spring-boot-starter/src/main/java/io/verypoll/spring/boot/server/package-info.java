/**
 * Socket servers and clients on the loops: {@link io.verypoll.spring.boot.server.TcpServer},
 * {@link io.verypoll.spring.boot.server.UnixServer} and {@link io.verypoll.spring.boot.server.UdpServer},
 * {@link io.verypoll.spring.boot.server.TcpClient} and {@link io.verypoll.spring.boot.server.UnixClient},
 * declared as beans; {@link io.verypoll.spring.boot.server.Connection}s with their state machine,
 * input and output; handlers, close reasons, counters, the kinds of server and their settings (each
 * declared once, as a {@link io.verypoll.spring.boot.server.ServerSetting}).
 *
 * <p>Framed servers: a stream server built with a decoder hands a
 * {@link io.verypoll.spring.boot.server.MessageHandler} one frame at a time through a handler of
 * its own ({@code FrameReader}); the writes made while the frames of one read are handled are
 * gathered and sent together ({@code WriteBatch}); frame limits are server settings.
 *
 * <p>Large replies and blocking work: owned buffers and streamed
 * {@link io.verypoll.spring.boot.server.BodySource}s queue in the connection's {@code OutboundBuffer}
 * beside copies, each write answering a {@link io.verypoll.spring.boot.server.WriteResult}; work
 * offloaded to an executor replies on the loop in order ({@code ConnectionOffloads}).
 *
 * <p>Clients: a {@link io.verypoll.spring.boot.server.StreamClient}'s connections are the same
 * {@code Connection}, owned through the package-private {@code ConnectionOwner} seam that servers
 * implement too ({@code ServerConnectionOwner}); an {@code OutboundConnect} takes one connect from the
 * name (resolved off the loops) to an open connection or a failure told to the handler; a
 * {@code ClientLink} keeps a client's long-lived connection with {@link io.verypoll.spring.boot.server.Backoff};
 * {@link io.verypoll.spring.boot.server.Relay} couples two connections into a proxy. Client settings are
 * {@link io.verypoll.spring.boot.server.ClientSetting}s plus the connection {@code ServerSetting}s.
 *
 * <p>May use: the {@code frame} and {@code loop} packages, verypoll-core and the JDK (and Spring's
 * {@code BeanNameAware}, so a server takes its bean name). Never {@code context}, {@code actuate}
 * or {@code autoconfigure}.
 */
package io.verypoll.spring.boot.server;
