package io.verypoll.spring.boot.server;

import java.util.Objects;

/**
 * What every server builder shares: the name and the settings. Each named method of a builder is
 * {@link #set} on one {@link ServerSetting}; {@link #set} itself reaches any setting of the kind.
 */
public abstract class ServerBuilder<B extends ServerBuilder<B>> {

    private final ServerKind kind;
    String name;
    ServerSettings settings = ServerSettings.defaults();

    ServerBuilder(ServerKind kind) {
        this.kind = kind;
    }

    @SuppressWarnings("unchecked")
    final B self() {
        return (B) this;
    }

    /** The server's name; by default the bean name. */
    public B name(String value) {
        name = value;
        return self();
    }

    /** Replaces every setting. */
    public B settings(ServerSettings value) {
        settings = Objects.requireNonNull(value, "settings");
        return self();
    }

    /** Sets one setting; it must apply to this kind of server. */
    public <T> B set(ServerSetting<T> setting, T value) {
        if (!setting.appliesTo(kind)) {
            throw new IllegalArgumentException(setting.name() + " does not apply to a " + kind.tag() + " server");
        }
        settings = settings.with(setting, value);
        return self();
    }
}
