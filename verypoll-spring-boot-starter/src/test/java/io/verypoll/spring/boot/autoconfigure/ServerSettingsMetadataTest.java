package io.verypoll.spring.boot.autoconfigure;

import io.verypoll.spring.boot.server.ServerKind;
import io.verypoll.spring.boot.server.ClientSetting;
import io.verypoll.spring.boot.server.ClientSettings;
import io.verypoll.spring.boot.server.ServerSetting;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The configuration metadata IDEs read must say what the settings' one home says. Boot's metadata has
 * no wildcard for map keys, so every server setting is described once as
 * {@code verypoll.server-defaults.<setting>} (name, type, description, default), which is also the
 * real property that sets it for every server; {@code verypoll.servers} points there. The checked-in
 * additional metadata is compared with what {@link ServerSetting#all()} implies; on a difference the
 * failure prints the expected file.
 */
@Timeout(30)
class ServerSettingsMetadataTest {

    private static final Path ADDITIONAL = Path.of("src/main/resources/META-INF/additional-spring-configuration-metadata.json");

    @Test
    void additionalMetadataDescribesEverySettingAsTheSettingsDeclareIt() throws IOException {
        String expected = expectedAdditionalMetadata();
        assertThat(Files.readString(ADDITIONAL)).as("the expected file is:%n%s", expected).isEqualTo(expected);
    }

    @Test
    void generatedMetadataHasEveryServerDefaultAndTheHealthToggle() throws IOException {
        String json;
        try (InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            assertThat(in).as("generated metadata").isNotNull();
            json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        for (ServerSetting<?> setting : ServerSetting.all()) {
            assertThat(json).contains("\"name\": \"verypoll.server-defaults." + setting.name() + "\"");
        }
        assertThat(json).contains("\"name\": \"management.health.verypoll.enabled\"")
                .contains("\"name\": \"verypoll.shutdown\"")
                .contains("\"name\": \"verypoll.non-loopback-acknowledged\"")
                .contains("\"name\": \"verypoll.servers\"");
    }

    /** The additional metadata as the declarations imply it, in a stable order and layout. */
    static String expectedAdditionalMetadata() {
        List<String> properties = new ArrayList<>();
        properties.add(entry("verypoll.servers", "java.util.Map<java.lang.String,java.util.Map<java.lang.String,java.lang.String>>",
                "Per-server settings, keyed by server name (the bean name unless the builder named it): the same settings"
                        + " as verypoll.server-defaults.*, for one server. They override the server bean, its customizers"
                        + " and verypoll.server-defaults.", null));
        for (ServerSetting<?> setting : ServerSetting.all()) {
            properties.add(entry("verypoll.server-defaults." + setting.name(), typeName(setting),
                    setting.description() + " For every " + kinds(setting) + " unless verypoll.servers.<name>."
                            + setting.name() + " says otherwise.", defaultText(setting)));
        }
        properties.add(entry("verypoll.clients", "java.util.Map<java.lang.String,java.util.Map<java.lang.String,java.lang.String>>",
                "Per-client settings, keyed by client name (the bean name unless the builder named it): the same settings"
                        + " as verypoll.client-defaults.*, for one client. They override the client bean and"
                        + " verypoll.client-defaults.", null));
        for (ClientSetting<?> setting : ClientSetting.all()) {
            properties.add(entry("verypoll.client-defaults." + setting.name(), setting.type().getName(),
                    setting.description() + " For every " + clientKinds(setting.kinds()) + " unless verypoll.clients.<name>."
                            + setting.name() + " says otherwise.", defaultText(setting.defaultValue(), false)));
        }
        for (ServerSetting<?> setting : ClientSettings.CONNECTION_SETTINGS) {
            properties.add(entry("verypoll.client-defaults." + setting.name(), typeName(setting),
                    setting.description() + " For the connections of every " + clientKinds(setting.kinds())
                            + " unless verypoll.clients.<name>." + setting.name() + " says otherwise.",
                    defaultText(setting.defaultValue(), setting.isByteSize())));
        }
        properties.add(entry("management.health.verypoll.enabled", "java.lang.Boolean",
                "Whether to enable the verypoll health contributor (loops running and not blocked; out of service"
                        + " while a graceful shutdown drains).", "true"));
        return "{\n  \"properties\": [\n" + String.join(",\n", properties) + "\n  ]\n}\n";
    }

    private static String clientKinds(java.util.Set<ServerKind> kinds) {
        return kinds.stream().filter(k -> k != ServerKind.UDP).map(ServerKind::tag).sorted()
                .collect(Collectors.joining(" and ")) + " client";
    }

    private static String kinds(ServerSetting<?> setting) {
        if (setting.kinds().size() == ServerKind.values().length) {
            return "server";
        }
        return setting.kinds().stream().map(ServerKind::tag).sorted().collect(Collectors.joining(" and ")) + " server";
    }

    private static String entry(String name, String type, String description, String defaultValue) {
        StringBuilder out = new StringBuilder();
        out.append("    {\n");
        out.append("      \"name\": ").append(quote(name)).append(",\n");
        out.append("      \"type\": ").append(quote(type)).append(",\n");
        out.append("      \"description\": ").append(quote(description));
        if (defaultValue != null) {
            out.append(",\n      \"defaultValue\": ").append(defaultValue);
        }
        out.append("\n    }");
        return out.toString();
    }

    private static String typeName(ServerSetting<?> setting) {
        return setting.isByteSize() ? "org.springframework.util.unit.DataSize" : setting.type().getName();
    }

    /** The default as JSON: numbers and booleans bare, durations and sizes as a property would write them. */
    private static String defaultText(ServerSetting<?> setting) {
        return defaultText(setting.defaultValue(), setting.isByteSize());
    }

    private static String defaultText(Object value, boolean byteSize) {
        if (byteSize) {
            long bytes = (Long) value;
            return quote(bytes % (1024 * 1024) == 0 ? bytes / (1024 * 1024) + "MB"
                    : bytes % 1024 == 0 ? bytes / 1024 + "KB" : bytes + "B");
        }
        if (value instanceof Duration d) {
            return quote(d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms");
        }
        if (value instanceof String s) {
            return s.isEmpty() ? null : quote(s);
        }
        if (value instanceof Enum<?> e) {
            return quote(e.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-')); // as properties write it
        }
        return String.valueOf(value);
    }

    private static String quote(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
