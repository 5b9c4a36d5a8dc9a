/**
 * verypoll-core: mio's readiness API ({@link io.verypoll.Poll}, {@link io.verypoll.Registry},
 * events, wakers) and non-blocking sources, on {@link java.nio.channels.Selector} by default.
 * Needs only {@code java.base}. Works the same from the class path, where this descriptor is
 * ignored and the backend is found through {@code META-INF/services} instead.
 */
module io.verypoll {
    exports io.verypoll;
    exports io.verypoll.net;
    exports io.verypoll.pipe;
    // io.verypoll.internal stays unexported: no public signature above names it (ApiSurfaceTest).

    // The backend seam, for the epoll backend only; not API. NIO stays the default when no
    // provider is present (and the only backend before Java 22).
    exports io.verypoll.spi to io.verypoll.epoll;
    uses io.verypoll.spi.Backend;
}
