/**
 * Non-blocking sockets as {@link io.verypoll.Source}s: {@link io.verypoll.net.TcpListener},
 * {@link io.verypoll.net.TcpStream}, {@link io.verypoll.net.UdpSocket}, {@link
 * io.verypoll.net.UnixListener}, {@link io.verypoll.net.UnixStream} and, on the epoll backend only,
 * {@link io.verypoll.net.UnixDatagram} (with {@link io.verypoll.net.UnixAbstractAddress} for Linux's
 * abstract names). All are non-blocking from birth, report would-block as a return value (0, -1 or
 * null, as NIO does), expose their NIO channel as {@code channel()} on the NIO backend for options
 * not wrapped here, and deregister when closed.
 *
 * <p>Code that serves TCP and Unix-domain sockets alike can hold the sealed common types: {@link
 * io.verypoll.net.SocketListener} ({@code SocketListener<?>}, whose {@code accept()} gives a
 * stream) and {@link io.verypoll.net.SocketStream}.
 */
package io.verypoll.net;
