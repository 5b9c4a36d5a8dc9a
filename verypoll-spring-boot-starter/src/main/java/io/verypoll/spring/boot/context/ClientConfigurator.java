package io.verypoll.spring.boot.context;

import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.server.ClientSetting;
import io.verypoll.spring.boot.server.ClientSettings;
import io.verypoll.spring.boot.server.ServerSetting;
import io.verypoll.spring.boot.server.StreamClient;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.ssl.SslBundles;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * Gives each client bean the settings it starts with: what the bean declares, then
 * {@code verypoll.client-defaults.*}, then {@code verypoll.clients.<name>.*} (configuration last, as for
 * servers), the starter's executor for names and offloaded work and its SSL bundles; then starts them. Every problem
 * is collected and reported at once.
 */
final class ClientConfigurator {

    private static final Log log = LogFactory.getLog(VerypollLifecycle.class);

    private final ClientSettingsSource properties;

    ClientConfigurator(ClientSettingsSource properties) {
        this.properties = properties;
    }

    /**
     * Configures every client and, when all are valid, starts them on {@code group}.
     *
     * @throws VerypollServerStartupException listing every problem found (then none is started)
     */
    List<StreamClient> start(List<StreamClient> clients, Executor executor, SslBundles bundles, PollLoopGroup group) {
        List<String> problems = configure(clients, executor, bundles);
        if (!problems.isEmpty()) {
            throw new VerypollServerStartupException("Invalid verypoll client settings:\n\n    "
                    + String.join("\n    ", problems), "Change the client beans or their verypoll.clients.<name>.* /"
                    + " verypoll.client-defaults.* properties.", null);
        }
        List<StreamClient> started = new ArrayList<>();
        for (StreamClient client : clients) {
            try {
                client.start(group);
            } catch (IllegalStateException | IllegalArgumentException e) {
                // An SSL bundle missing or unusable: what started stops, and the start fails saying why.
                for (StreamClient running : started) {
                    running.stop(Duration.ZERO);
                }
                throw new VerypollServerStartupException("verypoll client '" + client.name() + "' could not start: "
                        + e.getMessage(), "Check its ssl.bundle and the spring.ssl.bundle.* it names.", e);
            }
            started.add(client);
            log.info("verypoll " + client.protocol() + " client '" + client.name() + "' connects to " + client.target()
                    + (client.hasLink() ? " (link)" : ""));
        }
        return List.copyOf(clients);
    }

    /** Configures every client; returns every problem found (empty: all can start). */
    List<String> configure(List<StreamClient> clients, Executor executor, SslBundles bundles) {
        List<String> problems = new ArrayList<>(properties.problems(clients.stream().map(StreamClient::name).toList()));
        Map<Object, Object> defaults = properties.defaults();
        for (StreamClient client : clients) {
            ClientSettings settings = client.declaredSettings().with(applicable(client, defaults))
                    .with(applicable(client, properties.forClient(client.name())));
            client.configure(settings);
            client.defaultExecutor(executor);
            client.defaultSslBundles(bundles);
            problems.addAll(client.problems());
        }
        return problems;
    }

    /** The settings of {@code values} that apply to {@code client}'s kind. */
    private static Map<Object, Object> applicable(StreamClient client, Map<Object, Object> values) {
        Map<Object, Object> kept = new LinkedHashMap<>();
        values.forEach((setting, value) -> {
            boolean applies = setting instanceof ClientSetting<?> c ? c.appliesTo(client.kind())
                    : setting instanceof ServerSetting<?> s && ClientSettings.appliesTo(s, client.kind());
            if (applies) {
                kept.put(setting, value);
            }
        });
        return kept;
    }
}
