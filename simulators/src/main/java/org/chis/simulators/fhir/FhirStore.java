package org.chis.simulators.fhir;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The simulated FHIR server's data: every resource with its full version history, like HAPI JPA keeps it.
 * A delete is a version too (reads then answer 410 Gone, a PUT resurrects). Server ids are sequential numbers.
 */
final class FhirStore {
    /** HAPI prints instants with milliseconds and an explicit offset. */
    static final DateTimeFormatter INSTANT = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSxxx");

    /** One version; {@code resource} is null for a delete. */
    record Version(int versionId, Instant lastUpdated, ObjectNode resource) {
        boolean deleted() { return resource == null; }
    }

    private final Map<String, Map<String, List<Version>>> byType = new LinkedHashMap<>();
    private final AtomicLong nextId = new AtomicLong(1);
    private volatile Clock clock = Clock.systemUTC();

    void clock(Clock clock) { this.clock = clock; }

    Instant now() { return clock.instant(); }

    static String format(Instant at) { return INSTANT.format(OffsetDateTime.ofInstant(at, ZoneOffset.UTC)); }

    synchronized String newId() { return String.valueOf(nextId.getAndIncrement()); }

    synchronized Optional<Version> current(String type, String id) {
        List<Version> h = history(type, id);
        return h.isEmpty() ? Optional.empty() : Optional.of(h.get(h.size() - 1));
    }

    synchronized Optional<Version> version(String type, String id, int versionId) {
        return history(type, id).stream().filter(v -> v.versionId() == versionId).findFirst();
    }

    synchronized List<Version> history(String type, String id) {
        return List.copyOf(byType.getOrDefault(type, Map.of()).getOrDefault(id, List.of()));
    }

    /** Stores a new version of {@code resource} (its id set), stamping meta; returns the stored copy. */
    synchronized ObjectNode write(String type, String id, ObjectNode resource) {
        List<Version> h = byType.computeIfAbsent(type, t -> new LinkedHashMap<>()).computeIfAbsent(id, i -> new ArrayList<>());
        int v = h.isEmpty() ? 1 : h.get(h.size() - 1).versionId() + 1;
        Instant at = now();
        ObjectNode stored = resource.deepCopy();
        stored.put("resourceType", type);
        // id first, like HAPI's serialiser, so a human reading the journal sees it
        ObjectNode ordered = stored.objectNode();
        ordered.put("resourceType", type).put("id", id);
        ObjectNode meta = ordered.putObject("meta");
        if (stored.get("meta") instanceof ObjectNode given) meta.setAll(given);
        meta.put("versionId", String.valueOf(v)).put("lastUpdated", format(at));
        stored.fields().forEachRemaining(e -> {
            if (!e.getKey().equals("resourceType") && !e.getKey().equals("id") && !e.getKey().equals("meta")) ordered.set(e.getKey(), e.getValue());
        });
        h.add(new Version(v, at, ordered));
        return ordered.deepCopy();
    }

    /** Marks the resource deleted; false if it never existed or is already deleted. */
    synchronized boolean delete(String type, String id) {
        List<Version> h = byType.getOrDefault(type, Map.of()).get(id);
        if (h == null || h.isEmpty() || h.get(h.size() - 1).deleted()) return false;
        h.add(new Version(h.get(h.size() - 1).versionId() + 1, now(), null));
        return true;
    }

    /** Current, not deleted resources of a type, in the order they were first created. */
    synchronized List<ObjectNode> live(String type) {
        List<ObjectNode> out = new ArrayList<>();
        for (List<Version> h : byType.getOrDefault(type, Map.of()).values()) {
            Version last = h.get(h.size() - 1);
            if (!last.deleted()) out.add(last.resource().deepCopy());
        }
        return out;
    }

    synchronized void clear() {
        byType.clear();
        nextId.set(1);
    }
}
