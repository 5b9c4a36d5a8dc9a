package io.verypoll.spring.boot.autoconfigure;

import io.verypoll.spring.boot.context.ServerSettingsSource;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.Environment;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The keys of one family of named settings ({@code verypoll.servers.<name>.*} with
 * {@code verypoll.server-defaults.*}, or the clients') that fit nothing: a name that is no server or
 * client, a setting that does not exist. Property files are read element by element; environment
 * variables ({@code VERYPOLL_SERVERS_KV_UDP_PORT}) are matched against the names that exist, longest
 * first, since Boot's own mapping would read {@code KV_UDP} as the name {@code kv} and the setting
 * {@code udp.port}; {@code VERYPOLL_SERVER_DEFAULTS_<SETTING>} must name a setting.
 */
final class SettingKeys {

    private final String prefix;
    private final ConfigurationPropertyName named;
    private final ConfigurationPropertyName defaults;
    private final String variablePrefix;
    private final String defaultsVariablePrefix;
    private final String kind;
    private final List<String> settings;

    /**
     * @param kind     the word for one of them in messages: {@code server}, {@code client}
     * @param settings every setting's name as in a property file ({@code reconnect.max-delay})
     */
    SettingKeys(String prefix, String defaultsPrefix, String kind, List<String> settings) {
        this.prefix = prefix;
        this.named = ConfigurationPropertyName.of(prefix);
        this.defaults = ConfigurationPropertyName.of(defaultsPrefix);
        this.variablePrefix = variablePrefix(prefix);
        this.defaultsVariablePrefix = variablePrefix(defaultsPrefix);
        this.kind = kind;
        this.settings = List.copyOf(settings);
    }

    /** Each key of {@code environment} under these prefixes that fits none of {@code names}, as a message. */
    List<String> problems(Environment environment, Collection<String> names) {
        Set<String> problems = new LinkedHashSet<>();
        for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
            PropertySource<?> underlying = source.getUnderlyingSource() instanceof PropertySource<?> p ? p : null;
            if (underlying != null && StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME.equals(underlying.getName())
                    && underlying instanceof EnumerablePropertySource<?> variables) {
                for (String variable : variables.getPropertyNames()) {
                    checkVariable(variable, names, problems);
                    checkDefaultVariable(variable, problems);
                }
            } else if (source instanceof IterableConfigurationPropertySource iterable) {
                iterable.stream().filter(named::isAncestorOf).forEach(name -> checkName(name, names, problems));
                iterable.stream().filter(defaults::isAncestorOf).forEach(name -> checkDefault(name, problems));
            }
        }
        return List.copyOf(problems);
    }

    /** {@code <prefix>.<name>.<setting>} from a property file or the like. */
    private void checkName(ConfigurationPropertyName name, Collection<String> names, Set<String> problems) {
        String key = name.getElement(2, ConfigurationPropertyName.Form.UNIFORM);
        if (names.stream().noneMatch(n -> canonical(n).equals(key))) {
            problems.add(prefix + "." + name.getElement(2, ConfigurationPropertyName.Form.ORIGINAL)
                    + " names no " + kind + "; the " + kind + "s are " + names);
        } else if (!isSetting(settingKey(name, 3))) {
            problems.add(name + " is not a " + kind + " setting; the settings are " + settings);
        }
    }

    private void checkDefault(ConfigurationPropertyName name, Set<String> problems) {
        if (!isSetting(settingKey(name, 2))) {
            problems.add(name + " is not a " + kind + " setting; the settings are " + settings);
        }
    }

    /** The elements from {@code first} on, as one canonical setting name ({@code ssl.bundle} has two); "" if none. */
    private static String settingKey(ConfigurationPropertyName name, int first) {
        StringBuilder key = new StringBuilder();
        for (int i = first; i < name.getNumberOfElements(); i++) {
            key.append(name.getElement(i, ConfigurationPropertyName.Form.UNIFORM));
        }
        return canonical(key.toString());
    }

    /** {@code <PREFIX>_<NAME>_<SETTING>}, the name matched longest first. */
    private void checkVariable(String variable, Collection<String> names, Set<String> problems) {
        String upper = variable.toUpperCase(Locale.ROOT);
        if (!upper.startsWith(variablePrefix)) {
            return;
        }
        String rest = upper.substring(variablePrefix.length());
        List<String> byLength = new ArrayList<>(names);
        byLength.sort(Comparator.comparingInt(String::length).reversed());
        for (String name : byLength) {
            for (String form : variableForms(name)) {
                if (rest.startsWith(form + "_") && isSetting(canonical(rest.substring(form.length() + 1)))) {
                    return;
                }
            }
        }
        problems.add("environment variable " + variable + " fits no " + kind + " setting; the " + kind + "s are "
                + names + " and the settings " + settings);
    }

    /** {@code <DEFAULTS_PREFIX>_<SETTING>} ({@code VERYPOLL_SERVER_DEFAULTS_IDLE_TIMEOUT}). */
    private void checkDefaultVariable(String variable, Set<String> problems) {
        String upper = variable.toUpperCase(Locale.ROOT);
        if (upper.startsWith(defaultsVariablePrefix) && !isSetting(canonical(upper.substring(defaultsVariablePrefix.length())))) {
            problems.add("environment variable " + variable + " is not a " + kind + " setting; the settings are " + settings);
        }
    }

    /** {@code verypoll.server-defaults} as {@code VERYPOLL_SERVER_DEFAULTS_}, as Boot maps property names. */
    private static String variablePrefix(String prefix) {
        return prefix.replace('.', '_').replace('-', '_').toUpperCase(Locale.ROOT) + "_";
    }

    /** How a name may be written in an environment variable: dashes as underscores, or dropped. */
    private static List<String> variableForms(String name) {
        String kebab = kebab(name).toUpperCase(Locale.ROOT);
        return List.of(kebab.replace('-', '_'), kebab.replace("-", ""));
    }

    private boolean isSetting(String canonical) {
        return !canonical.isEmpty() && settings.stream().anyMatch(setting -> canonical(setting).equals(canonical));
    }

    private static String canonical(String name) {
        return ServerSettingsSource.canonicalName(name);
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
