package org.chis.mediator.commcareopenmrs.feeds;

import com.fasterxml.jackson.databind.JsonNode;
import org.chis.common.json.Json;

/**
 * Where a feed was left: the canonical URL of the page ({@code .../atomfeed/patient/7}) and the id of the last entry
 * handled on it (null = before the page's first entry). Entry ids, not timestamps: an entry published while we poll
 * or under clock skew is never skipped.
 */
record FeedMarker(String pageUrl, String lastEntryId) {
    String toJson() {
        return Json.write(Json.object().put("page", pageUrl).put("entry", lastEntryId));
    }

    static FeedMarker parse(String text) {
        if (text == null || text.isBlank()) return null;
        JsonNode j = Json.parse(text);
        return new FeedMarker(j.path("page").asText(null), j.path("entry").isNull() ? null : j.path("entry").asText(null));
    }
}
