package io.verypoll.internal;

import io.verypoll.spi.Backend;
import java.util.Locale;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * The backend of this JVM, chosen once, at the first Poll or source, from the system property
 * {@code verypoll.backend}: {@code nio} (the default), {@code epoll}, or {@code auto}. Every Poll
 * and every source of the JVM then comes from it, so they never disagree.
 *
 * <p>{@code auto} takes epoll only on Linux x86_64 or aarch64 with Java 22 or later, the module
 * {@code io.verypoll.epoll} present and native access enabled, and NIO otherwise, silently. It
 * checks the Java version before it looks for the module: the module is compiled for Java 22, and
 * an older JVM must not load any class of it. {@code epoll} fails instead, with the reason.
 */
public final class SelectedBackend {
    public static final String PROPERTY = "verypoll.backend";
    private static final Backend NIO = new NioBackend();

    private static volatile Backend chosen;
    /** Why the requested backend cannot work: thrown again at every use, never a silent fallback. */
    private static String failure;

    private SelectedBackend() {
    }

    /** @throws IllegalStateException if {@code verypoll.backend} names a backend that cannot work here */
    public static Backend get() {
        Backend b = chosen;
        return b != null ? b : choose();
    }

    /** The name of this JVM's backend ("nio", "epoll"), for tests and diagnostics. */
    public static String name() {
        return get().name();
    }

    private static synchronized Backend choose() {
        if (chosen != null) {
            return chosen;
        }
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
        String wanted = System.getProperty(PROPERTY, "nio").trim().toLowerCase(Locale.ROOT);
        try {
            switch (wanted) {
                case "nio":
                    chosen = NIO;
                    break;
                case "epoll":
                    chosen = epoll(true);
                    break;
                case "auto":
                    Backend epoll = epoll(false);
                    chosen = epoll != null ? epoll : NIO;
                    break;
                default:
                    throw new IllegalStateException("-D" + PROPERTY + "=" + wanted + " is not a backend; use nio, epoll or auto");
            }
        } catch (IllegalStateException e) {
            failure = e.getMessage();
            throw e;
        }
        return chosen;
    }

    /** The epoll backend if it works here; otherwise null, or (if {@code required}) an exception saying why. */
    private static Backend epoll(boolean required) {
        String reason = platformReason();
        if (reason == null) {
            Backend found = null;
            try {
                found = find("epoll");
            } catch (ServiceConfigurationError e) {
                reason = "the epoll backend failed to load: " + e;
            }
            if (found == null && reason == null) {
                reason = "the module io.verypoll.epoll (artifact verypoll-epoll) is not on the class path or module path";
            }
            if (found != null) {
                reason = found.unavailableReason();
                if (reason == null) {
                    return found;
                }
            }
        }
        if (required) {
            throw new IllegalStateException("-D" + PROPERTY + "=epoll cannot be used: " + reason);
        }
        return null;
    }

    /** Checked before any class of the epoll module is loaded. */
    private static String platformReason() {
        int feature = Runtime.version().feature();
        if (feature < 22) {
            return "it needs Java 22 or later (the foreign function API), and this is Java " + feature;
        }
        String os = System.getProperty("os.name", "");
        String arch = System.getProperty("os.arch", "");
        if (!os.startsWith("Linux")) {
            return "it needs Linux, and this is " + os;
        }
        if (!arch.equals("amd64") && !arch.equals("x86_64") && !arch.equals("aarch64")) {
            return "it supports x86_64 and aarch64, and this is " + arch;
        }
        return null;
    }

    private static Backend find(String name) {
        ClassLoader own = Backend.class.getClassLoader();
        Backend b = find(name, ServiceLoader.load(Backend.class, own));
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        if (b == null && context != null && context != own) {
            b = find(name, ServiceLoader.load(Backend.class, context));
        }
        return b;
    }

    private static Backend find(String name, ServiceLoader<Backend> loader) {
        for (Backend b : loader) {
            if (b.name().equals(name)) {
                return b;
            }
        }
        return null;
    }
}
