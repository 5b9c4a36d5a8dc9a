/**
 * verypoll-core: mio's readiness API ({@link io.verypoll.Poll}, {@link io.verypoll.Registry},
 * events, wakers) and non-blocking sources on {@link java.nio.channels.Selector}. Needs only
 * {@code java.base}. Works the same from the class path, where this descriptor is ignored.
 */
module io.verypoll {
    exports io.verypoll;
    exports io.verypoll.net;
    exports io.verypoll.pipe;
    // io.verypoll.internal stays unexported: no public signature above names it (ApiSurfaceTest).

    // Planned with the epoll backend: a backend seam in a new package, exported to that module only,
    // and found through ServiceLoader (NIO stays the default when no provider is present):
    //     exports io.verypoll.spi to io.verypoll.epoll;
    //     uses io.verypoll.spi.<the backend factory>;
    // with `provides` in io.verypoll.epoll. Not written yet because javac rejects exporting a
    // package that does not exist (a target module that does not exist is only a warning).
}
