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
        if (!isName(wanted)) {
            failure = "-D" + PROPERTY + "=" + wanted + " is not a backend; use nio, epoll or auto";
            throw new IllegalStateException(failure);
        }
        try {
            chosen = backend(wanted, "-D" + PROPERTY);
        } catch (IllegalStateException e) {
            failure = e.getMessage();
            throw e;
        }
        return chosen;
    }

    /**
     * Chooses {@code name} for this JVM, as {@code -Dverypoll.backend} would, unless a backend is
     * chosen already: then that one stays, and a request for a different one (other than {@code
     * auto}, which takes either) fails. An explicit request replaces what {@code -Dverypoll.backend}
     * says while nothing is chosen, and also an earlier failure of that property.
     *
     * @param origin who asks, for the messages ("verypoll.backend from application.properties")
     * @return the backend in use
     * @throws IllegalArgumentException if {@code name} is not nio, epoll or auto
     * @throws IllegalStateException if that backend cannot work here, or another one is in use
     */
    public static synchronized Backend request(String name, String origin) {
        String wanted = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        if (!isName(wanted)) {
            throw new IllegalArgumentException(origin + "=" + name + " is not a backend; use nio, epoll or auto");
        }
        if (chosen == null) {
            chosen = backend(wanted, origin);
            failure = null;
        } else if (!wanted.equals("auto") && !wanted.equals(chosen.name())) {
            throw new IllegalStateException(origin + "=" + wanted + " cannot be applied: this JVM already uses the "
                    + chosen.name() + " backend, and a JVM has one backend, chosen at its first Poll or source"
                    + " (from -D" + PROPERTY + ", nio if unset) or by an earlier request; choose before anything"
                    + " opens a Poll or a socket, or make -D" + PROPERTY + " agree");
        }
        return chosen;
    }

    /** The backend chosen so far, or null while no Poll or source exists and nothing was requested. */
    public static Backend chosenOrNull() {
        return chosen;
    }

    private static boolean isName(String name) {
        return name.equals("nio") || name.equals("epoll") || name.equals("auto");
    }

    private static Backend backend(String wanted, String origin) {
        switch (wanted) {
            case "epoll":
                return epoll(origin);
            case "auto":
                Backend epoll = epoll(null);
                return epoll != null ? epoll : NIO;
            default:
                return NIO;
        }
    }

    /** The epoll backend if it works here; otherwise null, or (if {@code requiredBy} is given) an exception saying why. */
    private static Backend epoll(String requiredBy) {
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
        if (requiredBy != null) {
            throw new IllegalStateException(requiredBy + "=epoll cannot be used: " + reason);
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
