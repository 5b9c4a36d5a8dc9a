package io.verypoll.epoll;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.SocketException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NotYetConnectedException;

/**
 * errno to the exception NIO throws for the same failure, so code written against the NIO backend
 * catches the same types here: a reset is a {@link SocketException} "Connection reset", a refused
 * connect a {@link ConnectException}, a busy address a {@link BindException}, a send to a closed
 * pipe or peer an {@link IOException} "Broken pipe", an ICMP error on a datagram socket a {@link
 * PortUnreachableException}. Messages are the C library's, as the JDK's are.
 */
final class Errno {
    private Errno() {
    }

    /** A failed read, write, send or receive on a stream socket or pipe. */
    static IOException io(int errno) {
        switch (errno) {
            case Libc.ECONNRESET:
                return new SocketException("Connection reset");
            case Libc.EPIPE:
                return new IOException("Broken pipe");
            case Libc.EBADF:
                return new ClosedChannelException();
            case Libc.ENOTCONN:
                throw new NotYetConnectedException();
            default:
                return new IOException(Libc.strerror(errno));
        }
    }

    /** A failed datagram send or receive. */
    static IOException datagram(int errno) {
        if (errno == Libc.ECONNREFUSED) {
            return new PortUnreachableException(Libc.strerror(errno));
        }
        return socket(errno);
    }

    /** A failed socket call other than I/O: as the JDK's {@code Net} classes map it. */
    static IOException socket(int errno) {
        String message = Libc.strerror(errno);
        switch (errno) {
            case Libc.ECONNREFUSED:
            case Libc.ETIMEDOUT:
                return new ConnectException(message);
            case Libc.EHOSTUNREACH:
                return new NoRouteToHostException(message);
            case Libc.EADDRINUSE:
            case Libc.EADDRNOTAVAIL:
            case Libc.EACCES:
                return new BindException(message);
            case Libc.ECONNRESET:
                return new SocketException("Connection reset");
            case Libc.EMFILE:
            case Libc.ENFILE:
                return new IOException(message);
            default:
                return new SocketException(message);
        }
    }

    /** A failed connect, at once or found later (SO_ERROR): a {@link ConnectException} as NIO's finishConnect throws. */
    static IOException connect(int errno) {
        IOException e = socket(errno);
        return e instanceof SocketException && !(e instanceof ConnectException) && !(e instanceof NoRouteToHostException)
                ? new ConnectException(e.getMessage())
                : e;
    }
}
