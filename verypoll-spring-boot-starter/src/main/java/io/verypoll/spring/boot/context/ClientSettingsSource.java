package io.verypoll.spring.boot.context;

import io.verypoll.spring.boot.server.ClientSettings;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The settings configuration gives the client beans: {@code verypoll.client-defaults.*} for every
 * client, {@code verypoll.clients.<name>.*} for one. Keys are {@link io.verypoll.spring.boot.server.ClientSetting}s
 * and the connection {@link io.verypoll.spring.boot.server.ServerSetting}s of
 * {@link ClientSettings#CONNECTION_SETTINGS}; {@link ClientSettings#with(Map)} takes the map as it is.
 *
 * <pre>{@code
 * ClientSettingsSource source = ClientSettingsSource.NONE; // the beans' own settings apply
 * }</pre>
 */
public interface ClientSettingsSource {

    ClientSettingsSource NONE = new ClientSettingsSource() {
        @Override
        public Map<Object, Object> defaults() {
            return Map.of();
        }

        @Override
        public Map<Object, Object> forClient(String name) {
            return Map.of();
        }
    };

    /** The settings given to every client. */
    Map<Object, Object> defaults();

    /** The settings given to the client named {@code name}. */
    Map<Object, Object> forClient(String name);

    /**
     * What the configuration says that fits none of {@code clientNames}: a client key naming no client,
     * a setting no client has. Each a message naming the property.
     */
    default List<String> problems(Collection<String> clientNames) {
        return List.of();
    }
}
