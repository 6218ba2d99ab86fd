package org.chis.mediator.commcareopenmrs.forms;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * Where a mapped value comes from: a path into the submission ({@code form/weight}, {@code metadata/timeEnd},
 * {@code form/case/@case_id}, {@code obs/weight} for OpenSRP) or a constant, optionally translated by a value map
 * (CommCare answer -> OpenMRS value or answer concept uuid). A value the map does not know yields no value, so a
 * map can forward just some answers (e.g. only "yes").
 */
record ValueSource(String path, String constant, Map<String, String> valueMap, boolean required) {

    static ValueSource constant(String value) { return new ValueSource(null, value, Map.of(), false); }

    /** The raw value, trimmed; null when absent or blank. Multi-select answers stay one space-separated string. */
    String raw(JsonNode doc) {
        if (constant != null) return constant;
        JsonNode n = doc;
        for (String part : path.split("/")) {
            if (part.isEmpty()) continue;
            n = n == null ? null : n.get(part);
        }
        if (n == null || n.isNull() || n.isContainerNode()) return null;
        String s = n.asText().trim();
        return s.isEmpty() ? null : s;
    }

    /** The value after the value map (null when absent, blank or not in the map). */
    String value(JsonNode doc) {
        String raw = raw(doc);
        if (raw == null || valueMap.isEmpty()) return raw;
        return valueMap.get(raw);
    }

    String describe() { return constant != null ? "constant '" + constant + "'" : "'" + path + "'"; }
}
