package org.chis.common.systems.rapidpro;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A broadcast as RapidPro returns it. Servers identify it by {@code id} (int, up to 9.x) or {@code uuid}
 * (newer); {@link #id()} is whichever came back, as text.
 */
public record Broadcast(String id, String status, List<String> urns, Map<String, String> text, String baseLanguage, String createdOn) {

    public static Broadcast from(JsonNode b) {
        String id = b.hasNonNull("uuid") ? b.path("uuid").asText() : b.path("id").asText(null);
        List<String> urns = new ArrayList<>();
        b.path("urns").forEach(u -> urns.add(u.asText()));
        Map<String, String> text = new LinkedHashMap<>();
        JsonNode t = b.path("text");
        if (t.isTextual()) text.put(b.path("base_language").asText("base"), t.asText());
        else t.fields().forEachRemaining(e -> text.put(e.getKey(), e.getValue().asText()));
        return new Broadcast(id, b.path("status").asText(null), List.copyOf(urns), Map.copyOf(text),
                b.path("base_language").asText(null), b.path("created_on").asText(null));
    }
}
