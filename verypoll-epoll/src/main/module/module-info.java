/**
 * verypoll-epoll: a native epoll backend for verypoll-core, on the Foreign Function and Memory API
 * (no JNI, nothing compiled). Linux x86_64 and aarch64, Java 22+. Chosen per JVM with {@code
 * -Dverypoll.backend=epoll} (or {@code auto}); needs {@code --enable-native-access=io.verypoll.epoll}
 * on the module path ({@code =ALL-UNNAMED} on the class path). Exports nothing: verypoll-core finds
 * it through {@link java.util.ServiceLoader}.
 */
module io.verypoll.epoll {
    requires io.verypoll;

    provides io.verypoll.spi.Backend with io.verypoll.epoll.EpollBackend;
}
