package io.verypoll.spring.boot.context;

import io.verypoll.spring.boot.server.ServerSettings;
import io.verypoll.spring.boot.server.SocketServer;

/**
 * Adjusts the settings of every server before it binds, as Boot's {@code WebServerFactoryCustomizer}
 * does for web servers. Declare one or more as beans; they run in order, after the server bean's own
 * settings and before the properties ({@code verypoll.server-defaults.*}, then
 * {@code verypoll.servers.<name>.*}), so configuration still has the last word.
 *
 * <pre>{@code
 * @Bean
 * VerypollServerCustomizer longerIdleTimeout() { // ServerSetting.IDLE_TIMEOUT
 *     return (server, settings) -> settings.with(ServerSetting.IDLE_TIMEOUT, Duration.ofMinutes(5));
 * }
 * }</pre>
 */
@FunctionalInterface
public interface VerypollServerCustomizer {

    /**
     * @return the settings {@code server} should have; {@code settings} itself to change nothing
     */
    ServerSettings customize(SocketServer server, ServerSettings settings);
}
