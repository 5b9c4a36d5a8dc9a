package io.verypoll.epoll;

import io.verypoll.spi.IoSource;
import java.io.IOException;

/** A listening TCP or Unix-domain socket: {@code accept4}, non-blocking and close-on-exec. */
final class ListenerSource extends EpollSource {
    ListenerSource(Fd fd, int family) {
        super(fd, family, false);
    }

    /**
     * An error (such as too many open files) is thrown and leaves the listener disarmed, as on NIO:
     * retry later, or reregister.
     */
    @Override
    public IoSource accept() throws IOException {
        Scratch s = Scratch.get();
        int accepted;
        fd.acquire();
        try {
            do {
                accepted = Libc.accept(s, fd.fd);
                // A connection reset before it was taken is gone: take the next one.
            } while (accepted < 0 && (s.errno() == Libc.EINTR || s.errno() == Libc.ECONNABORTED));
        } finally {
            fd.release();
        }
        if (accepted >= 0) {
            return new StreamSource(new Fd(accepted), family, true, false);
        }
        if (s.errno() == Libc.EAGAIN) {
            rearm(R);
            return null;
        }
        throw Errno.socket(s.errno());
    }
}
