package org.chis.simulators.opensrp;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * OpenSRP's event table as opensrp-server-core's {@code EventService.addorUpdateEvent} keeps it: an event sent
 * again with the same {@code id}, or else the same {@code formSubmissionId}, replaces the stored one (keeping the
 * stored id); anything else is added. Each write gets the next {@code serverVersion}. There is no delete.
 * Clients ({@code ClientService.addorUpdate}) are kept per {@code baseEntityId}; a resend with the same baseEntityId
 * or an identifier value a stored client holds replaces that client.
 */
final class EventStore {
    private final Map<String, ObjectNode> byId = new LinkedHashMap<>();
    private final Map<String, ObjectNode> clients = new LinkedHashMap<>();
    private long serverVersion;
    private int writes;
    private int clientWrites;

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

    /**
     * {@code ClientService.addorUpdate}: the client with this baseEntityId, else the one holding any of its identifier
     * values ({@code findClient}), is replaced (keeping the stored OPENMRS_UUID when the new one has none); else added.
     */
    synchronized ObjectNode addOrUpdateClient(ObjectNode client) {
        ObjectNode stored = client.deepCopy();
        String baseEntityId = stored.path("baseEntityId").asText();
        ObjectNode existing = clients.get(baseEntityId);
        if (existing == null) {
            var values = stored.path("identifiers").properties().stream().map(e -> e.getValue().asText()).toList();
            for (String v : values) {
                List<ObjectNode> holders = byIdentifier(v);
                if (holders.size() > 1) throw new IllegalArgumentException("Multiple clients with identifier " + v + " exist.");
                if (!holders.isEmpty()) {
                    existing = holders.get(0);
                    break;
                }
            }
        }
        if (existing != null) {
            clients.remove(existing.path("baseEntityId").asText());
            String openmrs = existing.path("identifiers").path("OPENMRS_UUID").asText(null);
            if (openmrs != null && !stored.path("identifiers").has("OPENMRS_UUID")) stored.with("identifiers").put("OPENMRS_UUID", openmrs);
            stored.put("dateEdited", Instant.now().toString());
        }
        clients.put(baseEntityId, stored);
        clientWrites++;
        return stored.deepCopy();
    }

    /** {@code ClientService.find(uniqueId)}: by baseEntityId, else by any identifier value; empty when none. */
    synchronized Optional<ObjectNode> findClient(String uniqueId) {
        ObjectNode c = clients.get(uniqueId);
        if (c != null) return Optional.of(c.deepCopy());
        List<ObjectNode> holders = byIdentifier(uniqueId);
        if (holders.size() > 1) throw new IllegalArgumentException("Multiple clients with identifier " + uniqueId + " exist.");
        return holders.stream().findFirst().map(ObjectNode::deepCopy);
    }

    private List<ObjectNode> byIdentifier(String value) {
        List<ObjectNode> out = new ArrayList<>();
        for (ObjectNode c : clients.values()) {
            for (var e : c.path("identifiers").properties()) {
                if (value.equals(e.getValue().asText())) {
                    out.add(c);
                    break;
                }
            }
        }
        return out;
    }

    synchronized List<ObjectNode> allClients() {
        List<ObjectNode> out = new ArrayList<>();
        clients.values().forEach(c -> out.add(c.deepCopy()));
        return out;
    }

    /** Accepted client writes, updates included. */
    synchronized int clientWrites() { return clientWrites; }

    /** One sync filter ({@code EventSearchBean}): the event field and the values asked (a comma-separated list). */
    record Filter(String field, List<String> values) {}

    /**
     * {@code EventService.findEvents(searchBean, "serverVersion", "asc", limit)} as {@code /rest/event/sync} calls it:
     * events matching every filter whose serverVersion is at least {@code fromServerVersion}, oldest write first, at
     * most {@code limit}.
     */
    synchronized List<ObjectNode> sync(List<Filter> filters, long fromServerVersion, int limit) {
        return byId.values().stream()
                .filter(e -> e.path("serverVersion").asLong() >= fromServerVersion)
                .filter(e -> filters.stream().allMatch(f -> f.values().contains(e.path(f.field()).asText(""))))
                .sorted(Comparator.comparingLong(e -> e.path("serverVersion").asLong()))
                .limit(limit)
                .map(ObjectNode::deepCopy)
                .toList();
    }

    /** The stored clients of these entities ({@code ClientService.findByFieldValue(baseEntityId, ids)}). */
    synchronized List<ObjectNode> clients(List<String> baseEntityIds) {
        List<ObjectNode> out = new ArrayList<>();
        for (String id : baseEntityIds) {
            ObjectNode c = clients.get(id);
            if (c != null) out.add(c.deepCopy());
        }
        return out;
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
        clients.clear();
        writes = 0;
        clientWrites = 0;
    }
}
