package io.verypoll.spring.boot.autoconfigure;

import io.verypoll.spring.boot.context.ClientSettingsSource;
import io.verypoll.spring.boot.server.ClientSetting;
import io.verypoll.spring.boot.server.ClientSettings;
import io.verypoll.spring.boot.server.ServerSetting;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.env.Environment;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.util.unit.DataSize;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code verypoll.client-defaults.*} and {@code verypoll.clients.<name>.*}, bound one setting at a time
 * with its own type, as {@link VerypollServerProperties} binds the servers': the client's own
 * {@link ClientSetting}s and the connection settings of {@link ClientSettings#CONNECTION_SETTINGS}.
 * Client names are matched in their kebab-case form ({@code auditLink} and {@code audit-link} are one;
 * {@code VERYPOLL_CLIENTS_AUDIT_LINK_PORT} reaches it). A key in a property file or an environment
 * variable that names no client, or no client setting, fails the start ({@link SettingKeys}).
 */
final class VerypollClientProperties implements ClientSettingsSource, EnvironmentAware {

    static final String PREFIX = "verypoll.clients";
    static final String DEFAULTS_PREFIX = "verypoll.client-defaults";
    private static final ConfigurationPropertyName CLIENTS = ConfigurationPropertyName.of(PREFIX);
    private static final ConfigurationPropertyName DEFAULTS = ConfigurationPropertyName.of(DEFAULTS_PREFIX);
    private static final SettingKeys KEYS = new SettingKeys(PREFIX, DEFAULTS_PREFIX, "client", settingNames());

    private Environment environment = new StandardEnvironment();

    @Override
    public void setEnvironment(Environment environment) {
        this.environment = environment;
    }

    @Override
    public Map<Object, Object> defaults() {
        return bindAll(Binder.get(environment), DEFAULTS);
    }

    @Override
    public Map<Object, Object> forClient(String name) {
        return bindAll(Binder.get(environment), CLIENTS.append(SettingKeys.kebab(name)));
    }

    private static Map<Object, Object> bindAll(Binder binder, ConfigurationPropertyName prefix) {
        Map<Object, Object> values = new LinkedHashMap<>();
        for (ClientSetting<?> setting : ClientSetting.all()) {
            binder.bind(name(prefix, setting.name()), Bindable.of(setting.type()))
                    .ifBound(value -> values.put(setting, value));
        }
        for (ServerSetting<?> setting : ClientSettings.CONNECTION_SETTINGS) {
            Class<?> type = setting.isByteSize() ? DataSize.class : setting.type();
            binder.bind(name(prefix, setting.name()), Bindable.of(type))
                    .ifBound(value -> values.put(setting, value instanceof DataSize size ? size.toBytes() : value));
        }
        return Collections.unmodifiableMap(values);
    }

    /** Keys under {@code verypoll.clients} and {@code verypoll.client-defaults} that fit nothing, as for servers. */
    @Override
    public List<String> problems(Collection<String> clientNames) {
        return KEYS.problems(environment, clientNames);
    }

    private static List<String> settingNames() {
        List<String> names = new ArrayList<>();
        ClientSetting.all().forEach(setting -> names.add(setting.name()));
        ClientSettings.CONNECTION_SETTINGS.forEach(setting -> names.add(setting.name()));
        return names;
    }

    /** {@code prefix} and a setting name that may have dots ("reconnect.max-delay"). */
    private static ConfigurationPropertyName name(ConfigurationPropertyName prefix, String setting) {
        ConfigurationPropertyName name = prefix;
        for (String element : setting.split("\\.")) {
            name = name.append(element);
        }
        return name;
    }
}
