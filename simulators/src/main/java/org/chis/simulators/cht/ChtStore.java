package org.chis.simulators.cht;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** The CouchDB {@code medic} database of the simulated CHT: docs by {@code _id}, each with a {@code _rev}. */
final class ChtStore {
    /** What the API made a doc as (CHT tells it from the doc's type and the configured contact types). */
    enum Kind { PERSON, PLACE, REPORT }

    private final Map<String, ObjectNode> docs = new LinkedHashMap<>();
    private final Map<String, Kind> kinds = new LinkedHashMap<>();

    /** Saves a new doc as CouchDB's POST does: its own {@code _id} if it has one, else a new one; false on a conflict. */
    synchronized boolean create(ObjectNode doc, Kind kind) {
        if (!doc.hasNonNull("_id")) doc.put("_id", UUID.randomUUID().toString().replace("-", ""));
        String id = doc.get("_id").asText();
        if (docs.containsKey(id)) return false;
        doc.put("_rev", "1-" + UUID.randomUUID().toString().replace("-", ""));
        docs.put(id, doc.deepCopy());
        kinds.put(id, kind);
        return true;
    }

    synchronized Optional<ObjectNode> get(String id) { return Optional.ofNullable(docs.get(id)).map(ObjectNode::deepCopy); }

    synchronized Optional<ObjectNode> get(String id, Kind kind) { return kind == kinds.get(id) ? get(id) : Optional.empty(); }

    /** Docs the API made as {@code kind}, in creation order. Copies. */
    synchronized List<ObjectNode> all(Kind kind) {
        List<ObjectNode> out = new ArrayList<>();
        docs.forEach((id, d) -> { if (kinds.get(id) == kind) out.add(d.deepCopy()); });
        return out;
    }

    synchronized void clear() {
        docs.clear();
        kinds.clear();
    }
}
