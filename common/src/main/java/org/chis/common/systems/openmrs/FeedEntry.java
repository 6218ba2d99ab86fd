package org.chis.common.systems.openmrs;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.chis.common.json.Json;

/**
 * One entry of an OpenMRS atom feed. Both publishers are understood: the ICT4H/Bahmni one (content is a plain
 * path such as {@code /openmrs/ws/rest/v1/patient/<uuid>?v=full}) and the generic openmrs-module-atomfeed one
 * (content is a JSON object of links, {@code {"rest": "/ws/rest/v1/patient/<uuid>?v=full", "fhir": ...}},
 * categories carry the action CREATED|UPDATED|VOIDED|...).
 */
public record FeedEntry(String id, String title, List<String> categories, Instant updated, Instant published, String content) {
    private static final Pattern UUID_IN_PATH = Pattern.compile(
            "/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?:[/?#]|$)");
    private static final List<String> ACTIONS = List.of("CREATED", "UPDATED", "RETIRED", "UNRETIRED", "VOIDED", "UNVOIDED", "DELETED");

    public FeedEntry {
        categories = categories == null ? List.of() : List.copyOf(categories);
    }

    /** The REST path to fetch the changed resource (generic publisher: its "rest" link). */
    public String resourcePath() {
        String c = content == null ? "" : content.trim();
        if (c.startsWith("{")) {
            try {
                JsonNode links = Json.parse(c);
                if (links.hasNonNull("rest")) return links.get("rest").asText();
                var it = links.fields();
                while (it.hasNext()) {
                    var f = it.next();
                    if (f.getValue().isTextual() && f.getValue().asText().contains("/ws/rest/")) return f.getValue().asText();
                }
                return null;
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return c.isEmpty() ? null : c;
    }

    /** The uuid of the changed resource, read from its path (null when the content has none). */
    public String resourceUuid() {
        String p = resourcePath();
        if (p == null) return null;
        Matcher m = UUID_IN_PATH.matcher(p);
        return m.find() ? m.group(1).toLowerCase(Locale.ROOT) : null;
    }

    /** The kind of resource: "patient", "encounter", ... (from the path, else from the title). */
    public String resourceKind() {
        String p = resourcePath();
        if (p != null) {
            String lower = p.toLowerCase(Locale.ROOT);
            for (String kind : List.of("patient", "encounter", "visit", "obs", "person")) {
                if (lower.contains("/" + kind + "/") || lower.contains("/bahmni" + kind + "/")) return kind;
            }
        }
        return title == null ? null : title.toLowerCase(Locale.ROOT);
    }

    /** The action tag of the generic publisher (CREATED, UPDATED, VOIDED, ...), or null (Bahmni publisher). */
    public String action() {
        for (String c : categories) if (ACTIONS.contains(c.toUpperCase(Locale.ROOT))) return c.toUpperCase(Locale.ROOT);
        return null;
    }
}
