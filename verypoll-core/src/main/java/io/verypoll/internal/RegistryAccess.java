package io.verypoll.internal;

import io.verypoll.Registry;
import io.verypoll.spi.Poller;
import java.util.Objects;
import java.util.function.Function;

/**
 * Lets sources outside {@code io.verypoll} reach the poller behind a {@link Registry} without
 * making it public API. {@code Registry} installs the accessor when its class initialises.
 */
public final class RegistryAccess {
    private static volatile Function<Registry, Poller> pollerOf;

    private RegistryAccess() {
    }

    public static void install(Function<Registry, Poller> accessor) {
        if (pollerOf != null) {
            throw new IllegalStateException("registry access is already installed");
        }
        pollerOf = accessor;
    }

    public static Poller pollerOf(Registry registry) {
        Objects.requireNonNull(registry, "registry");
        // Holding a Registry instance means its class, and so this accessor, is initialised.
        return pollerOf.apply(registry);
    }
}
