package io.verypoll.spring.boot.autoconfigure;

import io.verypoll.spring.boot.server.ServerSetting;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.env.Environment;
import org.springframework.util.unit.DataSize;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code verypoll.servers.<name>.*}: for each server named there, the settings the properties give it.
 * Bound one {@link ServerSetting} at a time with the setting's own type (a {@code DataSize} for byte
 * sizes, a {@code Duration} for durations), so relaxed names, conversions and bind errors are Boot's,
 * and no setting is spelled out a second time as a JavaBean property.
 */
final class VerypollServerProperties implements EnvironmentAware {

    static final String PREFIX = "verypoll.servers";

    private Map<String, Map<ServerSetting<?>, Object>> servers = Map.of();

    @Override
    public void setEnvironment(Environment environment) {
        servers = bind(Binder.get(environment));
    }

    /** Per server name, the settings set for it (only those; the bean keeps the rest). */
    Map<String, Map<ServerSetting<?>, Object>> servers() {
        return servers;
    }

    static Map<String, Map<ServerSetting<?>, Object>> bind(Binder binder) {
        // The server names as written (a bean named "chatServer" keeps its case), whatever keys they hold.
        Map<String, Object> named = binder.bind(PREFIX, Bindable.mapOf(String.class, Object.class)).orElse(Map.of());
        Map<String, Map<ServerSetting<?>, Object>> servers = new LinkedHashMap<>();
        for (String server : named.keySet()) {
            ConfigurationPropertyName prefix = ConfigurationPropertyName.adapt(PREFIX + "." + server, '.');
            Map<ServerSetting<?>, Object> values = new LinkedHashMap<>();
            for (ServerSetting<?> setting : ServerSetting.all()) {
                Class<?> type = setting.isByteSize() ? DataSize.class : setting.type();
                binder.bind(prefix.append(setting.name()), Bindable.of(type))
                        .ifBound(value -> values.put(setting, value instanceof DataSize size ? size.toBytes() : value));
            }
            servers.put(server, Collections.unmodifiableMap(values));
        }
        return Collections.unmodifiableMap(servers);
    }
}
