package org.chis.simulators.rapidpro;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.chis.common.json.Json;

/** The in-memory state behind the simulated API: contacts and broadcasts, in creation order. */
final class RapidProWorkspace {
    // RapidPro prints microseconds: 2013-03-02T17:28:12.123456Z
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

    private final String token;
    private final List<ObjectNode> contacts = new ArrayList<>();
    private final List<ObjectNode> broadcasts = new ArrayList<>();
    private long nextBroadcastId = 1;

    RapidProWorkspace(String token) { this.token = token; }

    String token() { return token; }

    static String now() { return TIME.format(Instant.now()); }

    static Instant parseTime(String text) {
        String t = text.trim();
        if (t.length() == 10) t = t + "T00:00:00Z";
        if (!t.endsWith("Z") && !t.matches(".*[+-]\\d\\d:?\\d\\d$")) t = t + "Z";
        return OffsetDateTime.parse(t, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
    }

    synchronized List<JsonNode> broadcasts() {
        return broadcasts.stream().map(b -> (JsonNode) b.deepCopy()).toList();
    }

    synchronized List<JsonNode> contacts() {
        return contacts.stream().map(c -> (JsonNode) c.deepCopy()).toList();
    }

    synchronized void clear() {
        contacts.clear();
        broadcasts.clear();
        nextBroadcastId = 1;
        throttled = 0;
    }

    private int throttled;
    private int throttleWaitSeconds;

    /** The next {@code requests} API calls are over the org's rate (DRF's ScopedRateThrottle). */
    synchronized void throttle(int requests, int waitSeconds) {
        throttled = requests;
        throttleWaitSeconds = waitSeconds;
    }

    /** Seconds the caller must wait when this call is throttled, else -1. */
    synchronized int takeThrottle() {
        if (throttled <= 0) return -1;
        throttled--;
        return throttleWaitSeconds;
    }

    synchronized String addContact(String name, String language, List<String> urns) {
        ObjectNode c = Json.object();
        String uuid = UUID.randomUUID().toString();
        String now = now();
        c.put("uuid", uuid);
        if (name == null) c.putNull("name");
        else c.put("name", name);
        c.put("status", "active");
        if (language == null) c.putNull("language");
        else c.put("language", language);
        urns.forEach(c.putArray("urns")::add);
        c.putArray("groups");
        c.putObject("fields");
        c.putNull("flow");
        c.put("created_on", now).put("modified_on", now).putNull("last_seen_on");
        c.put("blocked", false).put("stopped", false);
        contacts.add(c);
        return uuid;
    }

    synchronized Optional<ObjectNode> contactByUrn(String urn) {
        return contacts.stream().filter(c -> {
            for (JsonNode u : c.path("urns")) if (u.asText().equalsIgnoreCase(urn)) return true;
            return false;
        }).findFirst();
    }

    synchronized Optional<ObjectNode> contactByUuid(String uuid) {
        return contacts.stream().filter(c -> c.path("uuid").asText().equals(uuid)).findFirst();
    }

    /** Stores a validated broadcast; unknown URNs become contacts, as RapidPro's get_or_create does. */
    synchronized ObjectNode addBroadcast(List<String> urns, List<String> contactUuids, ObjectNode text, String baseLanguage) {
        ObjectNode b = Json.object();
        b.put("id", nextBroadcastId++);
        // as BroadcastReadSerializer shows a broadcast just created: pending, not yet counted by mailroom
        b.put("status", "pending");
        List<ObjectNode> recipients = new ArrayList<>();
        for (String urn : urns) {
            ObjectNode c = contactByUrn(urn).orElseGet(() -> contactByUuid(addContact(null, null, List.of(urn))).orElseThrow());
            recipients.add(c);
        }
        for (String uuid : contactUuids) contactByUuid(uuid).ifPresent(recipients::add);
        b.putObject("progress").put("total", -1).put("started", 0);
        urns.forEach(b.putArray("urns")::add);
        var cs = b.putArray("contacts");
        contactUuids.forEach(u -> contactByUuid(u).ifPresent(c -> cs.addObject().put("uuid", u).set("name", c.path("name"))));
        b.putArray("groups");
        b.set("text", text.deepCopy());
        ObjectNode att = b.putObject("attachments");
        text.fieldNames().forEachRemaining(lang -> att.putArray(lang));
        b.put("base_language", baseLanguage);
        b.put("created_on", now());
        broadcasts.add(b);
        return b.deepCopy();
    }
}
