package org.chis.mediator.commcareopenmrs.feeds;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.chis.common.json.Json;
import org.chis.common.systems.openmrs.FeedEntry;

/** A feed entry as stored in {@code failed_event.payload}, so a retry does not need the feed page again. */
final class ParkedEntry {
    private ParkedEntry() {}

    static String write(FeedEntry e) {
        ObjectNode o = Json.object().put("id", e.id()).put("title", e.title()).put("content", e.content())
                .put("updated", e.updated() == null ? null : e.updated().toString())
                .put("published", e.published() == null ? null : e.published().toString());
        var cats = o.putArray("categories");
        e.categories().forEach(cats::add);
        return Json.write(o);
    }

    static FeedEntry read(String payload) {
        JsonNode j = Json.parse(payload);
        List<String> cats = new ArrayList<>();
        j.path("categories").forEach(c -> cats.add(c.asText()));
        return new FeedEntry(j.path("id").asText(), j.path("title").asText(null), cats, time(j, "updated"), time(j, "published"),
                j.path("content").asText(""));
    }

    private static Instant time(JsonNode j, String field) {
        return j.hasNonNull(field) ? Instant.parse(j.get(field).asText()) : null;
    }
}
