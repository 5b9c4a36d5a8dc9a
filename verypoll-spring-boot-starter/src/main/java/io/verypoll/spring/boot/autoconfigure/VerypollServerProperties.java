package io.verypoll.spring.boot.autoconfigure;

import io.verypoll.spring.boot.context.ServerSettingsSource;
import io.verypoll.spring.boot.server.ServerSetting;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.env.Environment;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.util.unit.DataSize;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code verypoll.server-defaults.*} and {@code verypoll.servers.<name>.*}, bound one
 * {@link ServerSetting} at a time with the setting's own type (a {@code DataSize} for byte sizes, a
 * {@code Duration} for durations), so conversions and bind errors are Boot's and no setting is
 * spelled out a second time.
 *
 * <p>Server names are resolved against the servers that exist, which Boot's map binding alone cannot
 * do: {@code kv-udp}, {@code kvUdp} and the environment variable {@code VERYPOLL_SERVERS_KV_UDP_PORT}
 * all reach the server {@code kv-udp} (a map binding reads that variable as key {@code kv} with
 * {@code udp.port}). A key that fits no server, or a setting no server has, is reported ({@link SettingKeys}).
 */
final class VerypollServerProperties implements ServerSettingsSource, EnvironmentAware {

    static final String PREFIX = "verypoll.servers";
    static final String DEFAULTS_PREFIX = "verypoll.server-defaults";
    private static final ConfigurationPropertyName SERVERS = ConfigurationPropertyName.of(PREFIX);
    private static final ConfigurationPropertyName DEFAULTS = ConfigurationPropertyName.of(DEFAULTS_PREFIX);
    private static final SettingKeys KEYS = new SettingKeys(PREFIX, DEFAULTS_PREFIX, "server",
            ServerSetting.all().stream().map(ServerSetting::name).toList());

    private Environment environment = new StandardEnvironment();

    @Override
    public void setEnvironment(Environment environment) {
        this.environment = environment;
    }

    @Override
    public Map<ServerSetting<?>, Object> defaults() {
        return bindAll(Binder.get(environment), DEFAULTS);
    }

    @Override
    public Map<ServerSetting<?>, Object> forServer(String name) {
        // Bound under the name's kebab-case form: Boot then also reads VERYPOLL_SERVERS_KV_UDP_*
        // (dashes as underscores) and VERYPOLL_SERVERS_KVUDP_*, and matches kvUdp in property files.
        return bindAll(Binder.get(environment), SERVERS.append(SettingKeys.kebab(name)));
    }

    private static Map<ServerSetting<?>, Object> bindAll(Binder binder, ConfigurationPropertyName prefix) {
        Map<ServerSetting<?>, Object> values = new LinkedHashMap<>();
        for (ServerSetting<?> setting : ServerSetting.all()) {
            Class<?> type = setting.isByteSize() ? DataSize.class : setting.type();
            binder.bind(prefix.append(setting.name()), Bindable.of(type))
                    .ifBound(value -> values.put(setting, value instanceof DataSize size ? size.toBytes() : value));
        }
        return Collections.unmodifiableMap(values);
    }

    @Override
    public List<String> problems(Collection<String> serverNames) {
        return KEYS.problems(environment, serverNames);
    }
}
