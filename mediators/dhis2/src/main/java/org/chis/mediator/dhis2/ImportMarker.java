package org.chis.mediator.dhis2;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.chis.common.json.Json;

/**
 * How far the DHIS2 -> CommCare import has read: the {@code updatedAt} of the last item handled, the items at
 * exactly that time already handled ({@code seen}), and which page of that time to ask for next. The export is
 * asked again from {@code updatedAt} (DHIS2's {@code updatedAfter} includes it) after every page instead of
 * walking page numbers, so an item edited during a run cannot shift another one onto a page already read.
 *
 * @param updatedAfter null before the first run (everything is imported)
 */
record ImportMarker(String updatedAfter, Set<String> seen, int page) {
    static final ImportMarker START = new ImportMarker(null, Set.of(), 1);

    static ImportMarker parse(String json) {
        if (json == null || json.isBlank()) return START;
        JsonNode j = Json.parse(json);
        Set<String> seen = new LinkedHashSet<>();
        j.path("seen").forEach(s -> seen.add(s.asText()));
        return new ImportMarker(j.path("updatedAfter").asText(null), seen, Math.max(1, j.path("page").asInt(1)));
    }

    String toJson() {
        ObjectNode j = Json.object();
        if (updatedAfter != null) j.put("updatedAfter", updatedAfter);
        ArrayNode s = j.putArray("seen");
        seen.forEach(s::add);
        j.put("page", page);
        return Json.write(j);
    }

    /** True when this item was handled already (same time as the marker and in {@code seen}). */
    boolean handled(String uid, String updatedAt) { return updatedAt.equals(updatedAfter) && seen.contains(uid); }

    /**
     * The marker after a page of items (in updatedAt order) was handled. A page holding only items of the marker's
     * time steps to the next page of that time, but only when it was full: a short page means that time is done,
     * and stepping past it would skip the first items of later times.
     */
    ImportMarker after(List<JsonNode> items, String idField, int pageSize) {
        if (items.isEmpty()) return this;
        String last = items.get(items.size() - 1).path("updatedAt").asText();
        boolean allAtMarker = items.stream().allMatch(n -> n.path("updatedAt").asText().equals(updatedAfter));
        if (allAtMarker) {
            Set<String> s = new LinkedHashSet<>(seen);
            items.forEach(n -> s.add(n.path(idField).asText()));
            return new ImportMarker(updatedAfter, s, items.size() >= pageSize ? page + 1 : page);
        }
        Set<String> s = new LinkedHashSet<>();
        items.stream().filter(n -> n.path("updatedAt").asText().equals(last)).forEach(n -> s.add(n.path(idField).asText()));
        return new ImportMarker(last, s, 1);
    }
}
