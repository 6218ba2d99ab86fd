package org.chis.common.systems.dhis2;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.chis.common.json.Json;

/**
 * One page of a tracker export ({@code /api/tracker/trackedEntities}, {@code /api/tracker/events}). Reads both
 * shapes: 2.41+ {@code {"pager": {page, pageSize, total?, pageCount?, nextPage?}, "trackedEntities": [...]}} and
 * 2.36-2.40 {@code {"page", "pageSize", "total"?, "pageCount"?, "instances": [...]}}.
 */
public record TrackerPage(List<JsonNode> items, int page, int pageSize, Integer pageCount, boolean nextPageLinked) {

    /**
     * True when another page may follow: a {@code nextPage} link, or a known page count not reached yet, or
     * (no totals asked for) a full page.
     */
    public boolean hasNext() {
        if (nextPageLinked) return true;
        if (pageCount != null) return page < pageCount;
        return items.size() >= pageSize && pageSize > 0;
    }

    public static TrackerPage parse(String body, String itemsField, int requestedPageSize) {
        JsonNode root = Json.parse(body);
        JsonNode items = root.has(itemsField) ? root.get(itemsField) : root.path("instances");
        if (!items.isArray()) {
            throw new IllegalArgumentException("DHIS2 export has no '" + itemsField + "' (or 'instances') list: " + ImportSummary.excerpt(body));
        }
        JsonNode pager = root.has("pager") ? root.get("pager") : root;
        List<JsonNode> list = new ArrayList<>(items.size());
        items.forEach(list::add);
        Integer pageCount = pager.hasNonNull("pageCount") ? pager.get("pageCount").asInt() : null;
        boolean next = pager.hasNonNull("nextPage") && !pager.get("nextPage").asText().isBlank();
        return new TrackerPage(List.copyOf(list), pager.path("page").asInt(1), pager.path("pageSize").asInt(requestedPageSize), pageCount, next);
    }
}
