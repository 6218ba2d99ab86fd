package org.chis.common.systems.rapidpro;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A contact from {@code GET /api/v2/contacts.json}: language is ISO-639-3 or null, fields by key. */
public record RapidProContact(String uuid, String name, String language, String status, List<String> urns,
                              List<String> groups, Map<String, String> fields) {

    public static RapidProContact from(JsonNode c) {
        List<String> urns = new ArrayList<>();
        c.path("urns").forEach(u -> urns.add(u.asText()));
        List<String> groups = new ArrayList<>();
        c.path("groups").forEach(g -> groups.add(g.path("name").asText(g.asText())));
        Map<String, String> fields = new LinkedHashMap<>();
        c.path("fields").fields().forEachRemaining(f -> fields.put(f.getKey(), f.getValue().isNull() ? null : f.getValue().asText()));
        return new RapidProContact(c.path("uuid").asText(null), c.path("name").asText(null),
                c.path("language").isNull() ? null : c.path("language").asText(null), c.path("status").asText(null),
                List.copyOf(urns), List.copyOf(groups), Collections.unmodifiableMap(fields));
    }
}
