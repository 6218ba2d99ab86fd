package org.chis.mediator.commcareopenmrs.forms;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.ZoneId;
import java.util.Map;
import java.util.Set;

/**
 * Where a mapped value comes from: a path into the submission ({@code form/weight}, {@code metadata/timeEnd},
 * {@code form/case/@case_id}, {@code obs/weight} for OpenSRP) or a constant, optionally translated by a value map
 * (CommCare answer -> OpenMRS value or answer concept uuid). A value the map does not know yields no value, so a
 * map can forward just some answers (e.g. only "yes"). {@code zone} is the zone of a date-time at this path that
 * carries none (null: the mapping's {@code encounter.timeZone}).
 */
record ValueSource(String path, String constant, Map<String, String> valueMap, boolean required, ZoneId zone) {

    /**
     * Fields CommCare HQ's data forwarding always writes in UTC, most without a zone ({@code metadata.timeEnd} is
     * {@code "2017-05-25T21:06:27.012000"} while {@code form.meta.timeEnd} has the Z): read as UTC, whatever the
     * mapping's zone for the answers a health worker types in.
     */
    static final Set<String> HQ_UTC_PATHS = Set.of("metadata/timeStart", "metadata/timeEnd", "received_on", "server_modified_on",
            "form/meta/timeStart", "form/meta/timeEnd");

    static ValueSource constant(String value) { return new ValueSource(null, value, Map.of(), false, null); }

    static ValueSource path(String path, Map<String, String> valueMap, boolean required, ZoneId zone) {
        String p = path.startsWith("/") ? path.substring(1) : path;
        return new ValueSource(path, null, valueMap, required, zone == null && HQ_UTC_PATHS.contains(p) ? ZoneId.of("UTC") : zone);
    }

    /** The zone of a zoneless date-time read here: this field's own, else {@code fallback} (the mapping's). */
    ZoneId zoneOr(ZoneId fallback) { return zone == null ? fallback : zone; }

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
