package org.chis.simulators.dhis2;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.chis.common.json.Json;
import org.chis.common.systems.dhis2.Dhis2Uid;

/**
 * Tracked entities, enrollments and events as the new tracker API ({@code /api/tracker}) keeps them: client
 * UIDs, CREATE / UPDATE / CREATE_AND_UPDATE / DELETE, atomic mode ALL or OBJECT, validation errors with DHIS2's
 * codes, and the export endpoints paged by {@code page}/{@code pageSize} ordered by {@code updatedAt}.
 */
final class TrackerStore {
    /** DHIS2 writes timestamps as local date-time with milliseconds, no zone. */
    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS");

    private final Dhis2Metadata metadata;
    final Map<String, ObjectNode> trackedEntities = new LinkedHashMap<>();
    final Map<String, ObjectNode> enrollments = new LinkedHashMap<>();
    final Map<String, ObjectNode> events = new LinkedHashMap<>();
    private Instant lastStamp = Instant.EPOCH;

    TrackerStore(Dhis2Metadata metadata) { this.metadata = metadata; }

    void clear() {
        trackedEntities.clear();
        enrollments.clear();
        events.clear();
    }

    /** A strictly increasing timestamp, so exports ordered by updatedAt are deterministic. */
    String stamp() {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        if (!now.isAfter(lastStamp)) now = lastStamp.plusMillis(1);
        lastStamp = now;
        return TIME.format(LocalDateTime.ofInstant(now, ZoneOffset.UTC));
    }

    /** The same timestamp for several objects (a bulk edit in one DHIS2 transaction). */
    String sameStamp() { return TIME.format(LocalDateTime.ofInstant(lastStamp, ZoneOffset.UTC)); }

    private record Item(String type, JsonNode node, String uid) {}

    private record Error(String type, String uid, String code, String message) {}

    /** {@code POST /api/tracker?async=false}; returns HTTP status and the import report. */
    synchronized AggregateStore.Answer importBundle(JsonNode bundle, String strategy, String atomicMode, String user) {
        List<Item> items = new ArrayList<>();
        for (JsonNode te : bundle.path("trackedEntities")) {
            items.add(new Item("TRACKED_ENTITY", te, te.path("trackedEntity").asText(null)));
            for (JsonNode en : te.path("enrollments")) {
                ObjectNode e = en.deepCopy();
                if (!e.hasNonNull("trackedEntity")) e.put("trackedEntity", te.path("trackedEntity").asText(null));
                items.add(new Item("ENROLLMENT", e, e.path("enrollment").asText(null)));
                for (JsonNode ev : en.path("events")) {
                    ObjectNode v = ev.deepCopy();
                    if (!v.hasNonNull("enrollment")) v.put("enrollment", e.path("enrollment").asText(null));
                    if (!v.hasNonNull("program")) v.put("program", e.path("program").asText(null));
                    items.add(new Item("EVENT", v, v.path("event").asText(null)));
                }
            }
        }
        for (JsonNode en : bundle.path("enrollments")) {
            items.add(new Item("ENROLLMENT", en, en.path("enrollment").asText(null)));
            for (JsonNode ev : en.path("events")) {
                ObjectNode v = ev.deepCopy();
                if (!v.hasNonNull("enrollment")) v.put("enrollment", en.path("enrollment").asText(null));
                items.add(new Item("EVENT", v, v.path("event").asText(null)));
            }
        }
        for (JsonNode ev : bundle.path("events")) items.add(new Item("EVENT", ev, ev.path("event").asText(null)));

        Map<String, Item> inBundle = new LinkedHashMap<>();
        for (Item i : items) if (i.uid() != null) inBundle.put(i.type() + ":" + i.uid(), i);
        List<Error> errors = new ArrayList<>();
        Map<Item, Boolean> valid = new LinkedHashMap<>();
        for (Item i : items) {
            int before = errors.size();
            validate(i, strategy, inBundle, errors);
            valid.put(i, errors.size() == before);
        }
        boolean commit = atomicMode.equals("OBJECT") || errors.isEmpty();
        Map<String, int[]> stats = new LinkedHashMap<>(); // type -> created, updated, deleted, ignored
        for (String t : List.of("TRACKED_ENTITY", "ENROLLMENT", "EVENT", "RELATIONSHIP")) stats.put(t, new int[4]);
        for (var e : valid.entrySet()) {
            Item i = e.getKey();
            int[] s = stats.get(i.type());
            if (!commit || !e.getValue()) {
                s[3]++;
                continue;
            }
            Map<String, ObjectNode> table = table(i.type());
            boolean exists = table.containsKey(i.uid());
            if (strategy.equals("DELETE")) {
                table.remove(i.uid());
                s[2]++;
            } else {
                table.put(i.uid(), stored(i, table.get(i.uid()), user));
                s[exists ? 1 : 0]++;
            }
        }
        int created = 0, updated = 0, deleted = 0, ignored = 0;
        for (int[] s : stats.values()) {
            created += s[0];
            updated += s[1];
            deleted += s[2];
            ignored += s[3];
        }
        String status = errors.isEmpty() ? "OK" : "ERROR";
        ObjectNode report = Json.object();
        report.put("status", status);
        ObjectNode vr = report.putObject("validationReport");
        ArrayNode er = vr.putArray("errorReports");
        for (Error e : errors) er.addObject().put("message", e.message()).put("errorCode", e.code()).put("trackerType", e.type()).put("uid", e.uid());
        vr.putArray("warningReports");
        report.set("stats", statsNode(created, updated, deleted, ignored));
        report.putObject("timingsStats").putObject("timers").put("totalImport", "0.01 sec.");
        if (!commit) {
            // ImportReport.withValidationErrors: nothing was persisted, so there is no bundleReport at all
            return new AggregateStore.Answer(409, report);
        }
        ObjectNode br = report.putObject("bundleReport");
        br.put("status", status);
        ObjectNode map = br.putObject("typeReportMap");
        for (var e : stats.entrySet()) {
            int[] s = e.getValue();
            ObjectNode t = map.putObject(e.getKey());
            t.put("trackerType", e.getKey());
            t.set("stats", statsNode(s[0], s[1], s[2], s[3]));
            ArrayNode objects = t.putArray("objectReports");
            if (commit) {
                for (var v : valid.entrySet()) {
                    if (v.getKey().type().equals(e.getKey()) && v.getValue()) {
                        objects.addObject().put("trackerType", e.getKey()).put("uid", v.getKey().uid()).putArray("errorReports");
                    }
                }
            }
        }
        br.set("stats", statsNode(created, updated, deleted, ignored));
        return new AggregateStore.Answer(errors.isEmpty() ? 200 : 409, report);
    }

    private static ObjectNode statsNode(int created, int updated, int deleted, int ignored) {
        return Json.object().put("created", created).put("updated", updated).put("deleted", deleted).put("ignored", ignored)
                .put("total", created + updated + deleted + ignored);
    }

    private Map<String, ObjectNode> table(String type) {
        return switch (type) {
            case "TRACKED_ENTITY" -> trackedEntities;
            case "ENROLLMENT" -> enrollments;
            default -> events;
        };
    }

    private ObjectNode stored(Item i, ObjectNode previous, String user) {
        ObjectNode n = ((ObjectNode) i.node()).deepCopy();
        n.remove(List.of("enrollments", "events", "relationships"));
        String now = stamp();
        n.put("createdAt", previous == null ? now : previous.path("createdAt").asText(now));
        n.put("updatedAt", now);
        n.putObject("updatedBy").put("username", user);
        if (previous == null) n.putObject("createdBy").put("username", user);
        else n.set("createdBy", previous.path("createdBy"));
        if (i.type().equals("TRACKED_ENTITY")) {
            // attributes are merged: a value not sent stays as it was
            Map<String, JsonNode> attrs = new LinkedHashMap<>();
            if (previous != null) previous.path("attributes").forEach(a -> attrs.put(a.path("attribute").asText(), a));
            i.node().path("attributes").forEach(a -> attrs.put(a.path("attribute").asText(),
                    Json.object().put("attribute", a.path("attribute").asText()).put("value", a.path("value").asText()).put("updatedAt", now)));
            ArrayNode list = n.putArray("attributes");
            attrs.values().forEach(list::add);
        }
        if (i.type().equals("EVENT")) {
            Map<String, JsonNode> dvs = new LinkedHashMap<>();
            if (previous != null) previous.path("dataValues").forEach(d -> dvs.put(d.path("dataElement").asText(), d));
            i.node().path("dataValues").forEach(d -> dvs.put(d.path("dataElement").asText(), d));
            ArrayNode list = n.putArray("dataValues");
            dvs.values().forEach(list::add);
            // DHIS2 fills these from the enrollment and the program stage when the client leaves them out
            ObjectNode en = enrollments.get(n.path("enrollment").asText());
            if (!n.hasNonNull("trackedEntity") && en != null) n.put("trackedEntity", en.path("trackedEntity").asText());
            if (!n.hasNonNull("program")) {
                Dhis2Metadata.ProgramStage stage = metadata.programStages.get(n.path("programStage").asText());
                if (stage != null) n.put("program", stage.program());
            }
        }
        return n;
    }

    private void validate(Item i, String strategy, Map<String, Item> inBundle, List<Error> errors) {
        String uid = i.uid();
        if (uid == null || uid.isBlank()) {
            // real DHIS2 generates one; this simulator wants client UIDs (what the mediator sends)
            errors.add(new Error(i.type(), null, "E1048", "Object: `null`, uid: `null`, has an invalid uid format."));
            return;
        }
        if (!Dhis2Uid.isValid(uid)) {
            errors.add(new Error(i.type(), uid, "E1048", "Object: `" + uid + "`, uid: `" + uid + "`, has an invalid uid format."));
            return;
        }
        boolean exists = table(i.type()).containsKey(uid);
        if (strategy.equals("CREATE") && exists) {
            errors.add(new Error(i.type(), uid, i.type().equals("EVENT") ? "E1030" : i.type().equals("ENROLLMENT") ? "E1080" : "E1002",
                    label(i.type()) + ": `" + uid + "`, already exists."));
            return;
        }
        if ((strategy.equals("UPDATE") || strategy.equals("DELETE")) && !exists) {
            errors.add(new Error(i.type(), uid, i.type().equals("EVENT") ? "E1032" : i.type().equals("ENROLLMENT") ? "E1081" : "E1063",
                    label(i.type()) + ": `" + uid + "`, does not exist."));
            return;
        }
        if (strategy.equals("DELETE")) return;
        JsonNode n = i.node();
        String ou = n.path("orgUnit").asText(null);
        if (ou == null || !metadata.orgUnits.containsKey(ou)) {
            errors.add(new Error(i.type(), uid, "E1049", "Could not find OrganisationUnit: `" + ou + "`, linked to " + label(i.type()) + "."));
        }
        switch (i.type()) {
            case "TRACKED_ENTITY" -> {
                String tet = n.path("trackedEntityType").asText(null);
                if (tet == null || !metadata.trackedEntityTypes.contains(tet)) {
                    errors.add(new Error(i.type(), uid, "E1005", "Could not find TrackedEntityType: `" + tet + "`."));
                }
                for (JsonNode a : n.path("attributes")) {
                    String au = a.path("attribute").asText(null);
                    Dhis2Metadata.Attribute attr = au == null ? null : metadata.attributes.get(au);
                    if (attr == null) {
                        errors.add(new Error(i.type(), uid, "E1006", "Attribute: `" + au + "`, does not exist."));
                    } else if (!Dhis2Metadata.fits(attr.valueType(), a.path("value").asText(null))) {
                        errors.add(new Error(i.type(), uid, "E1007", "Error validating attribute value type: `" + attr.valueType()
                                + "`; Error: `Value '" + a.path("value").asText() + "' is not a valid " + attr.valueType() + "`."));
                    } else if (attr.unique()) {
                        String value = a.path("value").asText();
                        boolean taken = trackedEntities.values().stream().anyMatch(t -> !t.path("trackedEntity").asText().equals(uid)
                                && hasAttribute(t, au, value));
                        if (taken) errors.add(new Error(i.type(), uid, "E1064", "Non-unique attribute value `" + value + "` for attribute `" + au + "`"));
                    }
                }
            }
            case "ENROLLMENT" -> {
                String program = n.path("program").asText(null);
                Dhis2Metadata.Program p = program == null ? null : metadata.programs.get(program);
                if (p == null) {
                    errors.add(new Error(i.type(), uid, "E1069", "Could not find Program: `" + program + "`, linked to Enrollment."));
                    return;
                }
                if (p.withoutRegistration()) {
                    errors.add(new Error(i.type(), uid, "E1014", "Provided Program: `" + program + "`, is a Program without registration. "
                            + "An Enrollment cannot be created into Program without registration."));
                    return;
                }
                String te = n.path("trackedEntity").asText(null);
                if (te == null || (!trackedEntities.containsKey(te) && !inBundle.containsKey("TRACKED_ENTITY:" + te))) {
                    errors.add(new Error(i.type(), uid, "E1068", "Could not find TrackedEntity: `" + te + "`, linked to Enrollment."));
                }
                if (!n.hasNonNull("enrolledAt")) errors.add(new Error(i.type(), uid, "E1025", "Property enrolledAt is null."));
                if (p.onlyEnrollOnce() && te != null) {
                    boolean other = enrollments.values().stream().anyMatch(e -> e.path("trackedEntity").asText().equals(te)
                            && e.path("program").asText().equals(program) && !e.path("enrollment").asText().equals(uid));
                    if (other) {
                        errors.add(new Error(i.type(), uid, "E1016", "TrackedEntity: `" + te + "`, already has an active enrollment in Program `"
                                + program + "`, and this program only allows enrolling one time."));
                    }
                }
            }
            default -> {
                String stage = n.path("programStage").asText(null);
                Dhis2Metadata.ProgramStage s = stage == null ? null : metadata.programStages.get(stage);
                if (s == null) {
                    errors.add(new Error(i.type(), uid, "E1013", "Could not find ProgramStage: `" + stage + "`, linked to Event."));
                    return;
                }
                String program = n.path("program").asText(s.program());
                if (!program.equals(s.program())) {
                    errors.add(new Error(i.type(), uid, "E1089", "Event: `" + uid + "`, ProgramStage Program and Event Program don't match."));
                    return;
                }
                Dhis2Metadata.Program p = metadata.programs.get(program);
                String en = n.path("enrollment").asText(null);
                if (p != null && p.withoutRegistration()) {
                    // an event program's events stand alone: no tracked entity, no enrollment of the client's
                } else if (en == null || (!enrollments.containsKey(en) && !inBundle.containsKey("ENROLLMENT:" + en))) {
                    errors.add(new Error(i.type(), uid, "E1033", "Event: `" + uid + "`, Enrollment value is NULL or does not exist."));
                }
                if (!n.hasNonNull("occurredAt")) errors.add(new Error(i.type(), uid, "E1031", "Event OccurredAt date is missing."));
                for (JsonNode d : n.path("dataValues")) {
                    String de = d.path("dataElement").asText(null);
                    Dhis2Metadata.ValueType type = de == null ? null : metadata.dataElements.get(de);
                    if (type == null) {
                        errors.add(new Error(i.type(), uid, "E1304", "DataElement `" + de + "` is not a valid data element."));
                    } else if (!Dhis2Metadata.fits(type, d.path("value").asText(null))) {
                        errors.add(new Error(i.type(), uid, "E1302", "DataElement `" + de + "` value is not valid: `" + type + "`"));
                    }
                }
            }
        }
    }

    private static boolean hasAttribute(JsonNode te, String attribute, String value) {
        for (JsonNode a : te.path("attributes")) {
            if (a.path("attribute").asText().equals(attribute) && a.path("value").asText().equals(value)) return true;
        }
        return false;
    }

    private static String label(String type) {
        return switch (type) {
            case "TRACKED_ENTITY" -> "TrackedEntity";
            case "ENROLLMENT" -> "Enrollment";
            case "EVENT" -> "Event";
            default -> "Relationship";
        };
    }

    /** The items of an export, ordered by updatedAt then uid, filtered. */
    synchronized List<ObjectNode> export(String resource, Predicate<ObjectNode> filter) {
        Map<String, ObjectNode> table = resource.equals("trackedEntities") ? trackedEntities : resource.equals("enrollments") ? enrollments : events;
        String idField = resource.equals("trackedEntities") ? "trackedEntity" : resource.equals("enrollments") ? "enrollment" : "event";
        return table.values().stream().filter(filter)
                .sorted(Comparator.comparing((ObjectNode n) -> n.path("updatedAt").asText()).thenComparing(n -> n.path(idField).asText()))
                .map(ObjectNode::deepCopy).toList();
    }
}
