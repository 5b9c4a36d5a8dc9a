package io.verypoll.spring.boot.server;

import java.time.Duration;

/** The settings every server builder shares. */
public abstract class ServerBuilder<B extends ServerBuilder<B>> {

    String name;
    ServerSettings settings = ServerSettings.defaults();

    ServerBuilder() {
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /** The server's name; by default the bean name. */
    public B name(String value) {
        name = value;
        return self();
    }

    public B settings(ServerSettings value) {
        settings = value;
        return self();
    }

    public B idleTimeout(Duration value) {
        settings = settings.withIdleTimeout(value);
        return self();
    }

    /** After a graceful close has sent everything, linger until the peer closes or is quiet this long. */
    public B lingerTimeout(Duration value) {
        settings = settings.withLingerTimeout(value);
        return self();
    }

    public B maxConnections(int value) {
        settings = settings.withMaxConnections(value);
        return self();
    }

    public B backlog(int value) {
        settings = settings.withBacklog(value);
        return self();
    }

    /** Stop reading above {@code high} pending bytes, read again at {@code low}. */
    public B watermarks(int low, int high) {
        settings = settings.withWatermarks(low, high);
        return self();
    }

    /** Close a connection whose pending bytes go over {@code value}. */
    public B maxPendingBytes(long value) {
        settings = settings.withMaxPendingBytes(value);
        return self();
    }

    public B acceptBackoff(Duration initial, Duration max) {
        settings = settings.withAcceptBackoff(initial, max);
        return self();
    }
}
