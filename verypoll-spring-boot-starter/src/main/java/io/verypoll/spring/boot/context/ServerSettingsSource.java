package io.verypoll.spring.boot.context;

import io.verypoll.spring.boot.server.ServerSetting;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The settings that configuration gives the servers beyond what their beans declare:
 * {@code verypoll.server-defaults.*} for every server, {@code verypoll.servers.<name>.*} for one.
 * The auto-configuration implements it over Boot's binder; {@link VerypollLifecycle} asks it at every
 * start, once the servers' names are known, so names match however they are written ({@code kv-udp},
 * {@code kvUdp}, {@code VERYPOLL_SERVERS_KV_UDP_PORT}).
 *
 * <pre>{@code
 * ServerSettingsSource source = ServerSettingsSource.NONE; // what a context without properties uses
 * }</pre>
 */
public interface ServerSettingsSource {

    /** No settings from configuration: the beans' own apply. */
    ServerSettingsSource NONE = new ServerSettingsSource() {
        @Override
        public Map<ServerSetting<?>, Object> defaults() {
            return Map.of();
        }

        @Override
        public Map<ServerSetting<?>, Object> forServer(String name) {
            return Map.of();
        }

        @Override
        public List<String> problems(Collection<String> serverNames) {
            return List.of();
        }
    };

    /**
     * The form in which two server names are the same name, as Boot's relaxed binding treats property
     * names: lower case, without '-', '_' or '.' ({@code kv-udp}, {@code kvUdp}, {@code KV_UDP}).
     */
    static String canonicalName(String name) {
        StringBuilder out = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c != '-' && c != '_' && c != '.') {
                out.append(Character.toLowerCase(c));
            }
        }
        return out.toString();
    }

    /** The settings given to every server. */
    Map<ServerSetting<?>, Object> defaults();

    /** The settings given to the server named {@code name}. */
    Map<ServerSetting<?>, Object> forServer(String name);

    /**
     * What the configuration says that fits none of {@code serverNames}: a server key naming no
     * server, a setting no server has. Each a message naming the property and what would fit.
     */
    List<String> problems(Collection<String> serverNames);
}
