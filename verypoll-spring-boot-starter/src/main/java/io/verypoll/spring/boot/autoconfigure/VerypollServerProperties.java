package io.verypoll.spring.boot.autoconfigure;

import io.verypoll.spring.boot.context.ServerSettingsSource;
import io.verypoll.spring.boot.server.ServerSetting;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.Environment;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.util.unit.DataSize;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code verypoll.server-defaults.*} and {@code verypoll.servers.<name>.*}, bound one
 * {@link ServerSetting} at a time with the setting's own type (a {@code DataSize} for byte sizes, a
 * {@code Duration} for durations), so conversions and bind errors are Boot's and no setting is
 * spelled out a second time.
 *
 * <p>Server names are resolved against the servers that exist, which Boot's map binding alone cannot
 * do: {@code kv-udp}, {@code kvUdp} and the environment variable {@code VERYPOLL_SERVERS_KV_UDP_PORT}
 * all reach the server {@code kv-udp} (a map binding reads that variable as key {@code kv} with
 * {@code udp.port}). A key that fits no server, or a setting no server has, is reported.
 */
final class VerypollServerProperties implements ServerSettingsSource, EnvironmentAware {

    static final String PREFIX = "verypoll.servers";
    static final String DEFAULTS_PREFIX = "verypoll.server-defaults";
    private static final ConfigurationPropertyName SERVERS = ConfigurationPropertyName.of(PREFIX);
    private static final ConfigurationPropertyName DEFAULTS = ConfigurationPropertyName.of(DEFAULTS_PREFIX);
    private static final String ENV_PREFIX = "VERYPOLL_SERVERS_";

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
        return bindAll(Binder.get(environment), SERVERS.append(kebab(name)));
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
        Set<String> problems = new LinkedHashSet<>();
        for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
            PropertySource<?> underlying = source.getUnderlyingSource() instanceof PropertySource<?> p ? p : null;
            if (underlying != null && StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME.equals(underlying.getName())
                    && underlying instanceof EnumerablePropertySource<?> variables) {
                for (String variable : variables.getPropertyNames()) {
                    checkVariable(variable, serverNames, problems);
                }
            } else if (source instanceof IterableConfigurationPropertySource iterable) {
                iterable.stream().filter(SERVERS::isAncestorOf).forEach(name -> checkName(name, serverNames, problems));
                iterable.stream().filter(DEFAULTS::isAncestorOf).forEach(name -> checkDefault(name, problems));
            }
        }
        return List.copyOf(problems);
    }

    /** {@code verypoll.servers.<server>.<setting>} from a property file or the like. */
    private static void checkName(ConfigurationPropertyName name, Collection<String> servers, Set<String> problems) {
        String key = name.getElement(2, ConfigurationPropertyName.Form.UNIFORM);
        String server = servers.stream().filter(s -> ServerSettingsSource.canonicalName(s).equals(key)).findFirst()
                .orElse(null);
        if (server == null) {
            problems.add(PREFIX + "." + name.getElement(2, ConfigurationPropertyName.Form.ORIGINAL)
                    + " names no server; the servers are " + servers);
            return;
        }
        String setting = settingKey(name, 3);
        if (setting == null || settingNamed(setting) == null) {
            problems.add(name + " is not a server setting; the settings are " + settingNames());
        }
    }

    private static void checkDefault(ConfigurationPropertyName name, Set<String> problems) {
        String setting = settingKey(name, 2);
        if (setting == null || settingNamed(setting) == null) {
            problems.add(name + " is not a server setting; the settings are " + settingNames());
        }
    }

    /** The elements from {@code first} on, as one canonical setting name ({@code ssl.bundle} has two); null if none. */
    private static String settingKey(ConfigurationPropertyName name, int first) {
        if (name.getNumberOfElements() <= first) {
            return null;
        }
        StringBuilder key = new StringBuilder();
        for (int i = first; i < name.getNumberOfElements(); i++) {
            key.append(name.getElement(i, ConfigurationPropertyName.Form.UNIFORM));
        }
        return canonical(key.toString());
    }

    /** {@code VERYPOLL_SERVERS_<SERVER>_<SETTING>}, the server's name matched longest first. */
    private static void checkVariable(String variable, Collection<String> servers, Set<String> problems) {
        String upper = variable.toUpperCase(Locale.ROOT);
        if (!upper.startsWith(ENV_PREFIX)) {
            return;
        }
        String rest = upper.substring(ENV_PREFIX.length());
        List<String> byLength = new ArrayList<>(servers);
        byLength.sort(Comparator.comparingInt(String::length).reversed());
        for (String server : byLength) {
            for (String form : envForms(server)) {
                if (rest.startsWith(form + "_") && settingNamed(canonical(rest.substring(form.length() + 1))) != null) {
                    return;
                }
            }
        }
        problems.add("environment variable " + variable + " fits no server setting; the servers are " + servers
                + " and the settings " + settingNames());
    }

    /** How a server name may be written in an environment variable: dashes as underscores, or dropped. */
    private static List<String> envForms(String server) {
        String kebab = kebab(server).toUpperCase(Locale.ROOT);
        return List.of(kebab.replace('-', '_'), kebab.replace("-", ""));
    }

    private static ServerSetting<?> settingNamed(String canonical) {
        for (ServerSetting<?> setting : ServerSetting.all()) {
            if (canonical(setting.name()).equals(canonical)) {
                return setting;
            }
        }
        return null;
    }

    private static String canonical(String name) {
        return ServerSettingsSource.canonicalName(name);
    }

    private static List<String> settingNames() {
        return ServerSetting.all().stream().map(ServerSetting::name).toList();
    }

    /** {@code kvUdp} and {@code kv_udp} as {@code kv-udp}: the form Boot maps to environment variables. */
    static String kebab(String name) {
        StringBuilder out = new StringBuilder(name.length() + 4);
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isUpperCase(c) && i > 0 && out.charAt(out.length() - 1) != '-') {
                out.append('-');
            }
            out.append(c == '_' ? '-' : Character.toLowerCase(c));
        }
        return out.toString();
    }
}
