package io.verypoll.internal;

import io.verypoll.Registry;
import java.util.Objects;
import java.util.function.Function;

/**
 * Lets sources outside {@code io.verypoll} reach the selector behind a {@link Registry} without
 * making it public API. {@code Registry} installs the accessor when its class initialises.
 */
public final class RegistryAccess {
    private static volatile Function<Registry, EdgeSelector> selectorOf;

    private RegistryAccess() {
    }

    public static void install(Function<Registry, EdgeSelector> accessor) {
        if (selectorOf != null) {
            throw new IllegalStateException("registry access is already installed");
        }
        selectorOf = accessor;
    }

    public static EdgeSelector selectorOf(Registry registry) {
        Objects.requireNonNull(registry, "registry");
        // Holding a Registry instance means its class, and so this accessor, is initialised.
        return selectorOf.apply(registry);
    }
}
