package io.verypoll.spring.boot.context;

import io.verypoll.spring.boot.server.SocketServer;
import io.verypoll.spring.boot.server.UnixServer;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.PropertySource;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Publishes the ports servers really bound into the Environment: {@code local.verypoll.<name>.port}
 * for each server, {@code local.verypoll.port} when there is only one, and
 * {@code local.verypoll.<name>.path} for Unix servers; in the context and in its parents, as Boot does
 * with {@code local.server.port}. Tests read them with {@link LocalVerypollPort} after binding to port 0.
 */
public class VerypollServerPortInitializer implements ApplicationContextInitializer<ConfigurableApplicationContext> {

    static final String PROPERTY_SOURCE_NAME = "verypoll.server.ports";

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        context.addApplicationListener(event -> {
            if (event instanceof VerypollServerStartedEvent started) {
                for (org.springframework.context.ApplicationContext c = context; c != null; c = c.getParent()) {
                    if (c instanceof ConfigurableApplicationContext configurable) {
                        publish(configurable.getEnvironment(), started);
                    }
                }
            }
        });
    }

    private static void publish(ConfigurableEnvironment environment, VerypollServerStartedEvent event) {
        SocketServer server = event.server();
        Map<String, Object> ports = portsSource(environment.getPropertySources());
        if (server instanceof UnixServer unix && unix.path() != null) {
            ports.put("local.verypoll." + server.name() + ".path", unix.path().toString());
            return;
        }
        ports.put("local.verypoll." + server.name() + ".port", server.port());
        if (event.serverCount() == 1) {
            ports.put("local.verypoll.port", server.port());
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> portsSource(MutablePropertySources sources) {
        PropertySource<?> existing = sources.get(PROPERTY_SOURCE_NAME);
        if (existing != null) {
            return (Map<String, Object>) existing.getSource();
        }
        Map<String, Object> map = new LinkedHashMap<>();
        sources.addFirst(new MapPropertySource(PROPERTY_SOURCE_NAME, map));
        return map;
    }
}
