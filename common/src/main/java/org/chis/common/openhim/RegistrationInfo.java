package org.chis.common.openhim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.chis.common.config.ConfigException;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;

/**
 * {@code mediator-registration-info.json} with {@code ${setting.key}} placeholders filled from the settings, so
 * endpoints, default channel routes and the initial {@code config} follow mediator.properties and the environment.
 * A {@code config} value that is exactly one placeholder also tells which setting a console-edited param updates.
 */
public final class RegistrationInfo {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]+)}");

    private final ObjectNode json;
    private final Map<String, String> paramToKey;

    private RegistrationInfo(ObjectNode json, Map<String, String> paramToKey) {
        this.json = json;
        this.paramToKey = paramToKey;
    }

    /** Loads from the config folder, else the classpath copy. */
    public static RegistrationInfo load(Settings s) {
        String text;
        Path dir = s.configDir();
        Path file = dir == null ? null : dir.resolve("mediator-registration-info.json");
        try {
            if (file != null && Files.exists(file)) {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } else {
                try (InputStream in = RegistrationInfo.class.getResourceAsStream("/mediator-registration-info.json")) {
                    if (in == null) throw new ConfigException("mediator-registration-info.json not found (config folder or classpath)");
                    text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            }
        } catch (IOException e) {
            throw new ConfigException("mediator-registration-info.json: " + e.getMessage(), e);
        }
        return fromTemplate(text, s);
    }

    public static RegistrationInfo fromTemplate(String template, Settings s) {
        JsonNode parsed;
        try {
            parsed = Json.parse(template);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("mediator-registration-info.json: " + e.getMessage());
        }
        if (!(parsed instanceof ObjectNode root)) throw new ConfigException("mediator-registration-info.json: not a JSON object");
        for (String required : new String[] {"urn", "version", "name", "endpoints"}) {
            if (!root.hasNonNull(required)) throw new ConfigException("mediator-registration-info.json: missing '" + required + "'");
        }
        Map<String, String> paramToKey = new HashMap<>();
        Map<String, String> paramType = new HashMap<>();
        root.path("configDefs").forEach(d -> paramType.put(d.path("param").asText(), d.path("type").asText("string")));
        if (root.get("config") instanceof ObjectNode config) {
            config.fields().forEachRemaining(e -> {
                Matcher m = PLACEHOLDER.matcher(e.getValue().asText(""));
                if (e.getValue().isTextual() && m.matches()) paramToKey.put(e.getKey(), m.group(1));
            });
        }
        ObjectNode filled = (ObjectNode) fill(root, s);
        if (filled.get("config") instanceof ObjectNode config) {
            // core validates config against configDefs: numbers and booleans must not arrive as strings, and an unset
            // number (a test's settings without http.readTimeoutMs) is left out rather than refused as ""
            config.fields().forEachRemaining(e -> e.setValue(typed(e.getValue(), paramType.getOrDefault(e.getKey(), "string"))));
            List<String> unsetNumbers = new ArrayList<>();
            config.fields().forEachRemaining(e -> {
                if (paramType.getOrDefault(e.getKey(), "string").equals("number") && e.getValue().isTextual() && e.getValue().asText().isEmpty()) {
                    unsetNumbers.add(e.getKey());
                }
            });
            config.remove(unsetNumbers);
        }
        return new RegistrationInfo(filled, paramToKey);
    }

    private static JsonNode fill(JsonNode node, Settings s) {
        if (node.isTextual()) {
            Matcher m = PLACEHOLDER.matcher(node.asText());
            return TextNode.valueOf(m.replaceAll(r -> Matcher.quoteReplacement(s.get(r.group(1), ""))));
        }
        if (node.isObject()) {
            ObjectNode out = Json.object();
            node.fields().forEachRemaining(e -> out.set(e.getKey(), fill(e.getValue(), s)));
            return out;
        }
        if (node.isArray()) {
            var out = Json.array();
            node.forEach(n -> out.add(fill(n, s)));
            return out;
        }
        return node;
    }

    private static JsonNode typed(JsonNode v, String type) {
        if (!v.isTextual()) return v;
        if (type.equals("number")) {
            try { return Json.MAPPER.getNodeFactory().numberNode(Double.parseDouble(v.asText())); } catch (NumberFormatException e) { return v; }
        }
        if (type.equals("bool")) return Json.MAPPER.getNodeFactory().booleanNode(Boolean.parseBoolean(v.asText()));
        return v;
    }

    public String urn() { return json.path("urn").asText(); }

    public String version() { return json.path("version").asText(); }

    public String name() { return json.path("name").asText(); }

    public ObjectNode json() { return json.deepCopy(); }

    /** Names of the default channels (to install with POST /mediators/{urn}/channels). */
    public List<String> defaultChannelNames() {
        List<String> names = new ArrayList<>();
        json.path("defaultChannelConfig").forEach(c -> names.add(c.path("name").asText()));
        return names;
    }

    /** Translates config pushed by core (param names) into settings keys; params without a placeholder keep their name. */
    public Map<String, String> toSettingKeys(JsonNode pushedConfig) {
        Map<String, String> out = new HashMap<>();
        pushedConfig.fields().forEachRemaining(e -> {
            JsonNode v = e.getValue();
            String value = v.isValueNode() ? (v.isNumber() && v.asDouble() == Math.rint(v.asDouble()) ? String.valueOf(v.asLong()) : v.asText()) : Json.write(v);
            out.put(paramToKey.getOrDefault(e.getKey(), e.getKey()), value);
        });
        return out;
    }
}
