package org.chis.simulators.opensrp;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * OpenSRP's event table as opensrp-server-core's {@code EventService.addorUpdateEvent} keeps it: an event sent
 * again with the same {@code id}, or else the same {@code formSubmissionId}, replaces the stored one (keeping the
 * stored id); anything else is added. Each write gets the next {@code serverVersion}. There is no delete.
 */
final class EventStore {
    private final Map<String, ObjectNode> byId = new LinkedHashMap<>();
    private long serverVersion;
    private int writes;

    synchronized ObjectNode addOrUpdate(ObjectNode event) {
        ObjectNode existing = event.hasNonNull("id") ? byId.get(event.get("id").asText()) : null;
        if (existing == null && event.hasNonNull("formSubmissionId")) existing = byFormSubmissionId(event.get("formSubmissionId").asText()).orElse(null);
        ObjectNode stored = event.deepCopy();
        if (existing != null) {
            stored.put("id", existing.get("id").asText()).put("dateEdited", Instant.now().toString());
            stored.set("dateCreated", existing.get("dateCreated"));
        } else if (!stored.hasNonNull("id")) {
            stored.put("id", UUID.randomUUID().toString());
        }
        stored.put("serverVersion", ++serverVersion);
        byId.put(stored.get("id").asText(), stored);
        writes++;
        return stored.deepCopy();
    }

    synchronized Optional<ObjectNode> byId(String id) { return Optional.ofNullable(byId.get(id)).map(ObjectNode::deepCopy); }

    synchronized Optional<ObjectNode> byFormSubmissionId(String formSubmissionId) {
        return byId.values().stream().filter(e -> formSubmissionId.equals(e.path("formSubmissionId").asText(null))).findFirst();
    }

    synchronized List<ObjectNode> all() {
        List<ObjectNode> out = new ArrayList<>();
        byId.values().forEach(e -> out.add(e.deepCopy()));
        return out;
    }

    /** Accepted event writes, updates included. */
    synchronized int writes() { return writes; }

    synchronized void clear() {
        byId.clear();
        writes = 0;
    }
}
