package io.verypoll.spring.boot.context;

import io.verypoll.spring.boot.server.ServerSetting;
import io.verypoll.spring.boot.server.ServerSettings;
import io.verypoll.spring.boot.server.SocketServer;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Gives each server bean the settings it starts with: what the bean declares, then the customizers,
 * then {@code verypoll.server-defaults.*}, then {@code verypoll.servers.<name>.*}. Code first,
 * configuration last, so configuration has the last word. Every problem (a name two beans share, a
 * property that fits no server, an invalid value) is collected and reported at once.
 */
final class ServerConfigurator {

    private static final Log log = LogFactory.getLog(ServerConfigurator.class);

    private final ServerSettingsSource properties;
    private final List<VerypollServerCustomizer> customizers;

    ServerConfigurator(ServerSettingsSource properties, List<VerypollServerCustomizer> customizers) {
        this.properties = properties;
        this.customizers = List.copyOf(customizers);
    }

    /**
     * Configures every server of {@code beans} (bean name to server).
     *
     * @throws VerypollServerStartupException listing every problem found
     */
    void configure(Map<String, SocketServer> beans) {
        List<String> problems = new ArrayList<>(duplicateNames(beans));
        List<String> names = beans.values().stream().map(SocketServer::name).toList();
        problems.addAll(properties.problems(names));
        Map<ServerSetting<?>, Object> defaults = properties.defaults();
        for (SocketServer server : beans.values()) {
            ServerSettings settings = server.declaredSettings();
            for (VerypollServerCustomizer customizer : customizers) {
                settings = customizer.customize(server, settings);
            }
            settings = settings.with(applicable(server, defaults));
            Map<ServerSetting<?>, Object> own = properties.forServer(server.name());
            for (ServerSetting<?> setting : own.keySet()) {
                if (!setting.appliesTo(server.kind())) {
                    log.warn("verypoll.servers." + server.name() + "." + setting.name() + " is set, but a "
                            + server.kind().tag() + " server has no " + setting.name() + "; it is ignored");
                }
            }
            settings = settings.with(applicable(server, own));
            server.configure(settings);
            problems.addAll(server.problems());
        }
        if (!problems.isEmpty()) {
            throw new VerypollServerStartupException("Invalid verypoll server settings:\n\n    "
                    + String.join("\n    ", problems),
                    "Change the server beans or their verypoll.servers.<name>.* / verypoll.server-defaults.* properties.",
                    null);
        }
    }

    private static Map<ServerSetting<?>, Object> applicable(SocketServer server, Map<ServerSetting<?>, Object> settings) {
        Map<ServerSetting<?>, Object> kept = new LinkedHashMap<>();
        settings.forEach((setting, value) -> {
            if (setting.appliesTo(server.kind())) {
                kept.put(setting, value);
            }
        });
        return kept;
    }

    /** Two beans whose servers' names match (relaxed: kv-udp, kvUdp and kv_udp are one name). */
    private static List<String> duplicateNames(Map<String, SocketServer> beans) {
        Map<String, String> firstBean = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        beans.forEach((bean, server) -> {
            String other = firstBean.putIfAbsent(ServerSettingsSource.canonicalName(server.name()), bean);
            if (other != null) {
                problems.add("beans '" + other + "' and '" + bean + "' both declare a server named '" + server.name()
                        + "' (names match ignoring case, '-' and '_'): its meters, endpoint entry and properties would"
                        + " be shared; give one another name (the builder's name(...) or the bean name)");
            }
        });
        return problems;
    }
}
