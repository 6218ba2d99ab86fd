package org.chis.mediator.dhis2;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.chis.common.config.ConfigException;
import org.chis.common.config.ConfigProblem;
import org.chis.common.config.JsonConfigReader;
import org.chis.common.config.JsonConfigReader.Node;
import org.chis.common.json.Json;
import org.chis.common.http.BadInputException;
import org.chis.common.systems.dhis2.Dhis2Uid;
import org.chis.common.systems.openmrs.OpenMrsDates;

/**
 * How one CommCare form (matched by its xmlns) becomes DHIS2 tracker data. Kind {@code tracker} (the default): a
 * tracked entity, its enrollment and one event; kind {@code event}: one event of a program without registration
 * (no tracked entity, no enrollment). Values are read from the forwarded form JSON by JSON pointer
 * ({@code /form/child/weight}, {@code /form/case/@case_id}). UIDs are derived from the case id (tracked entity,
 * enrollment) and the form id (event), so sending the same form again addresses the same DHIS2 objects. A tracker
 * mapping may name {@code findBy} attributes (a national id, a phone number): a person already in DHIS2 with that
 * value is used instead of a new tracked entity. See the README for the file format.
 */
public record TrackerMapping(String name, String xmlns, Kind kind, String trackedEntityType, String program, String programStage,
                             String orgUnit, String orgUnitFrom, Map<String, String> orgUnits, String enrolledAt, String occurredAt,
                             String caseIdAt, String formIdAt, String formTimeAt, Map<String, String> attributes, Map<String, String> dataValues,
                             Map<String, Map<String, String>> valueMaps, List<String> findBy) {

    /** What a form becomes: a tracked entity + enrollment + event, or a stand-alone event of an event program. */
    public enum Kind { TRACKER, EVENT }

    /** What a form says, read and checked once: everything the bundle needs except which tracked entity it goes to. */
    record Form(String caseId, String formId, Instant formTime, String orgUnit, String occurredAt, String enrolledAt,
                Map<String, String> attributes, Map<String, String> dataValues) {

        /** The first {@code findBy} attribute the form has a value for (attribute UID, value), or null. */
        Map.Entry<String, String> identity(List<String> findBy) {
            for (String a : findBy) if (attributes.containsKey(a)) return Map.entry(a, attributes.get(a));
            return null;
        }
    }

    /**
     * The tracked entity a form goes to. {@code derived}: ours (UID from the case id, created by the bundle if new);
     * otherwise found in DHIS2, and then {@code enrollment} is its active enrollment in the program, or null.
     */
    record Target(String trackedEntity, boolean derived, String enrollment) {}

    /**
     * The bundle for {@code POST /api/tracker} and the ids it addresses. {@code formTime}: when the form was filled
     * (null if the form does not say), to keep an older form from overwriting what a newer one set. Event
     * programs: caseId, trackedEntity and enrollment are null.
     */
    record Bundle(ObjectNode json, ObjectNode event, String caseId, String formId, Instant formTime, String trackedEntity, String enrollment,
                  String eventUid) {

        /** Only this form's event, in the enrollment a newer form already wrote: its attributes and enrollment stay. */
        ObjectNode eventOnly() {
            ObjectNode flat = Json.object();
            flat.putArray("events").add(event.deepCopy());
            return flat;
        }
    }

    /** Every tracker mapping of {@code dir} ({@code *.json}); none when the folder does not exist. Problems of all files in one exception. */
    public static List<TrackerMapping> loadAll(Path dir) {
        List<TrackerMapping> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return out;
        List<ConfigProblem> problems = new ArrayList<>();
        for (Path f : JsonConfigReader.jsonFiles(dir, problems)) {
            Node root = JsonConfigReader.read(f, problems);
            TrackerMapping m = root == null ? null : read(root);
            if (m != null) out.add(m);
        }
        ConfigException.throwIfAny("tracker mappings in " + dir, problems);
        return out;
    }

    /** The mapping at {@code j}, or null when its file has problems (all recorded with the reader). */
    static TrackerMapping read(Node j) {
        if (!j.requireObject("a tracker mapping must be a JSON object")) return null;
        String xmlns = j.string("xmlns");
        Kind kind = j.enumOf("kind", Kind.class, Kind.TRACKER);
        boolean tracker = kind == Kind.TRACKER;
        String tet = DataSetMap.uid(j, "trackedEntityType", tracker);
        String program = DataSetMap.uid(j, "program", true);
        String stage = DataSetMap.uid(j, "programStage", true);
        String orgUnit = DataSetMap.uid(j, "orgUnit", false);
        String orgUnitFrom = pointer(j, "orgUnitFrom", null);
        if (!j.has("orgUnit") && !j.has("orgUnitFrom")) j.problem("give 'orgUnit' (a UID) or 'orgUnitFrom' (a path) with 'orgUnits'");
        Map<String, String> orgUnits = new LinkedHashMap<>();
        Node ous = j.at("orgUnits");
        j.members("orgUnits").keySet().forEach(location -> orgUnits.put(location, DataSetMap.uid(ous, location, true)));
        Map<String, String> attributes = pointersByUid(j, "attributes");
        Map<String, String> dataValues = pointersByUid(j, "dataValues");
        Map<String, Map<String, String>> valueMaps = new LinkedHashMap<>();
        Node maps = j.at("valueMaps");
        j.members("valueMaps").keySet().forEach(uid -> valueMaps.put(uid, maps.stringMap(uid)));
        List<String> findBy = j.strings("findBy");
        for (String a : findBy) {
            if (!attributes.containsKey(a)) j.problem("findBy", "'" + a + "' is not one of the mapped 'attributes' (its value comes from the form)");
        }
        if (!tracker) {
            // an event program has no tracked entity: these would be silently ignored, so they are mistakes
            for (String f : List.of("trackedEntityType", "attributes", "findBy", "enrolledAt", "caseId")) {
                if (j.has(f)) j.problem(f, "is not used by an event program mapping (kind 'event'): remove it");
            }
        }
        String occurredAt = pointer(j, "occurredAt", "/form/meta/timeEnd");
        TrackerMapping m = new TrackerMapping(j.string("name", xmlns), xmlns, kind, tet, program, stage, orgUnit, orgUnitFrom, orgUnits,
                pointer(j, "enrolledAt", occurredAt), occurredAt, pointer(j, "caseId", "/form/case/@case_id"),
                pointer(j, "formId", "/form/meta/instanceID"), pointer(j, "formTime", "/form/meta/timeEnd"), attributes, dataValues, valueMaps,
                findBy);
        return j.clean() ? m : null;
    }

    /** A JSON pointer into the forwarded form ({@code /form/child/weight}). */
    private static String pointer(Node n, String field, String fallback) {
        String p = n.checked(field, false, v -> v.startsWith("/"), "a JSON pointer (it starts with /)");
        return p == null ? fallback : p;
    }

    /** {@code {"<DHIS2 UID>": "<JSON pointer>"}}: the keys must be UIDs, the values pointers. */
    private static Map<String, String> pointersByUid(Node j, String field) {
        Map<String, String> m = new LinkedHashMap<>();
        Node o = j.at(field);
        j.members(field).keySet().forEach(uid -> {
            if (!Dhis2Uid.isValid(uid)) o.problem(uid, "'" + uid + "' is not a DHIS2 UID (11 characters, a letter first)");
            m.put(uid, pointer(o, uid, null));
        });
        return m;
    }

    /** Reads what the bundle needs from the form; a value the mapping needs but the form lacks is the sender's mistake (400). */
    Form formOf(JsonNode form) {
        String caseId = kind == Kind.TRACKER ? required(form, caseIdAt, "the case id") : null;
        String formId = form.hasNonNull("id") ? form.get("id").asText() : required(form, formIdAt, "the form id");
        String ou = orgUnit;
        if (orgUnitFrom != null) {
            String location = value(form, orgUnitFrom);
            if (location != null) {
                ou = orgUnits.get(location);
                if (ou == null && Dhis2Uid.isValid(location) && orgUnits.isEmpty()) ou = location;
                if (ou == null) throw new BadInputException(name + ": location '" + location + "' (" + orgUnitFrom + ") has no org unit in the mapping");
            }
            if (ou == null) ou = orgUnit;
            if (ou == null) throw new BadInputException(name + ": no location at " + orgUnitFrom);
        }
        String occurred = required(form, occurredAt, "the event date");
        String enrolled = value(form, enrolledAt);
        if (enrolled == null) enrolled = occurred;
        Map<String, String> attrs = new LinkedHashMap<>();
        attributes.forEach((uid, path) -> {
            String v = mapped(uid, value(form, path));
            if (v != null) attrs.put(uid, v);
        });
        Map<String, String> dvs = new LinkedHashMap<>();
        dataValues.forEach((uid, path) -> {
            String v = mapped(uid, value(form, path));
            if (v != null) dvs.put(uid, v);
        });
        for (String a : findBy) {
            String v = attrs.get(a);
            // DHIS2's filter syntax (attribute:EQ:value, several comma separated) has no escape before 2.41
            if (v != null && (v.contains(":") || v.contains(","))) {
                throw new BadInputException(name + ": " + a + " value '" + v + "' (" + attributes.get(a) + ") contains ':' or ',', which a DHIS2 search cannot take");
            }
        }
        return new Form(caseId, formId, formTime(form), ou, occurred, enrolled, attrs, dvs);
    }

    /** Our own tracked entity of this case: its UID derived from the case id. */
    Target derivedTarget(Form f) { return new Target(Dhis2Uid.derive("trackedEntity", f.caseId()), true, null); }

    /** The event this form records (its UID from the form id and stage, so a resend updates it). */
    private ObjectNode event(Form f, String enrollment) {
        ObjectNode event = Json.object();
        event.put("event", Dhis2Uid.derive("event", f.formId() + "/" + programStage));
        if (enrollment != null) event.put("enrollment", enrollment);
        event.put("program", program).put("programStage", programStage).put("orgUnit", f.orgUnit()).put("status", "COMPLETED")
                .put("occurredAt", f.occurredAt());
        ArrayNode dvs = event.putArray("dataValues");
        f.dataValues().forEach((uid, v) -> dvs.addObject().put("dataElement", uid).put("value", v));
        return event;
    }

    /** Kind event: {@code {"events": [event]}} with no tracked entity or enrollment. */
    Bundle eventBundle(Form f) {
        ObjectNode event = event(f, null);
        ObjectNode bundle = Json.object();
        bundle.putArray("events").add(event);
        return new Bundle(bundle, event, null, f.formId(), f.formTime(), null, null, event.path("event").asText());
    }

    /**
     * Kind tracker. Our own tracked entity: the nested bundle (tracked entity with the form's attributes, enrollment,
     * event). A person found in DHIS2 keeps its attributes and org unit as DHIS2 has them: the event goes into its
     * active enrollment, or into a new enrollment when it has none in this program.
     */
    Bundle trackerBundle(Form f, Target target) {
        String te = target.trackedEntity();
        String en = target.enrollment() != null ? target.enrollment() : Dhis2Uid.derive("enrollment", f.caseId() + "/" + program);
        ObjectNode event = event(f, en);
        ObjectNode bundle = Json.object();
        if (!target.derived() && target.enrollment() != null) {
            bundle.putArray("events").add(event);
            return new Bundle(bundle, event, f.caseId(), f.formId(), f.formTime(), te, en, event.path("event").asText());
        }
        ObjectNode e = Json.object();
        e.put("enrollment", en).put("trackedEntity", te).put("program", program).put("orgUnit", f.orgUnit()).put("status", "ACTIVE")
                .put("enrolledAt", f.enrolledAt()).put("occurredAt", f.enrolledAt());
        e.putArray("events").add(event);
        if (target.derived()) {
            ObjectNode t = bundle.putArray("trackedEntities").addObject();
            t.put("trackedEntity", te).put("trackedEntityType", trackedEntityType).put("orgUnit", f.orgUnit());
            ArrayNode attrs = t.putArray("attributes");
            f.attributes().forEach((uid, v) -> attrs.addObject().put("attribute", uid).put("value", v));
            t.putArray("enrollments").add(e);
        } else {
            bundle.putArray("enrollments").add(e);
        }
        return new Bundle(bundle, event, f.caseId(), f.formId(), f.formTime(), te, en, event.path("event").asText());
    }

    /** The form's end time (device clock, UTC with Z), else when HQ received it; zoneless values are HQ's UTC. */
    private Instant formTime(JsonNode form) {
        for (String pointer : new String[] {formTimeAt, "/received_on"}) {
            String v = value(form, pointer);
            if (v == null) continue;
            try {
                return OpenMrsDates.parse(v, ZoneOffset.UTC).toInstant();
            } catch (IllegalArgumentException e) {
                throw new BadInputException(name + ": the form time " + pointer + " " + e.getMessage());
            }
        }
        return null;
    }

    private String mapped(String uid, String v) {
        if (v == null) return null;
        Map<String, String> m = valueMaps.get(uid);
        return m == null ? v : m.get(v); // a value without a mapping is not sent (only mapped answers are meant)
    }

    private static String value(JsonNode form, String pointer) {
        JsonNode n;
        try {
            n = form.at(pointer);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("'" + pointer + "' is not a JSON pointer (it starts with /)");
        }
        if (n.isMissingNode() || n.isNull() || n.isContainerNode()) return null;
        String s = n.asText();
        return s.isBlank() ? null : s.trim();
    }

    private String required(JsonNode form, String pointer, String what) {
        String v = value(form, pointer);
        if (v == null) throw new BadInputException(name + ": " + what + " is missing (" + pointer + ")");
        return v;
    }
}
