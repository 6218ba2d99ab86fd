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
 * How one CommCare form (matched by its xmlns) becomes a tracked entity, its enrollment and one event. Values
 * are read from the forwarded form JSON by JSON pointer ({@code /form/child/weight}, {@code /form/case/@case_id}).
 * UIDs are derived from the case id (tracked entity, enrollment) and the form id (event), so sending the same
 * form again addresses the same DHIS2 objects. See the README for the file format.
 */
public record TrackerMapping(String name, String xmlns, String trackedEntityType, String program, String programStage,
                             String orgUnit, String orgUnitFrom, Map<String, String> orgUnits, String enrolledAt, String occurredAt,
                             String caseIdAt, String formIdAt, String formTimeAt, Map<String, String> attributes, Map<String, String> dataValues,
                             Map<String, Map<String, String>> valueMaps) {

    /**
     * The bundle for {@code POST /api/tracker} and the ids it addresses. {@code formTime}: when the form was filled
     * (null if the form does not say), to keep an older form from overwriting what a newer one set.
     */
    record Bundle(ObjectNode json, String caseId, String formId, Instant formTime, String trackedEntity, String enrollment, String event) {

        /** Only this form's event, in the enrollment a newer form already wrote: its attributes and enrollment stay. */
        ObjectNode eventOnly() {
            ObjectNode flat = Json.object();
            flat.putArray("events").add(json.path("trackedEntities").get(0).path("enrollments").get(0).path("events").get(0).deepCopy());
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
        String tet = DataSetMap.uid(j, "trackedEntityType", true);
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
        String occurredAt = pointer(j, "occurredAt", "/form/meta/timeEnd");
        TrackerMapping m = new TrackerMapping(j.string("name", xmlns), xmlns, tet, program, stage, orgUnit, orgUnitFrom, orgUnits,
                pointer(j, "enrolledAt", occurredAt), occurredAt, pointer(j, "caseId", "/form/case/@case_id"),
                pointer(j, "formId", "/form/meta/instanceID"), pointer(j, "formTime", "/form/meta/timeEnd"), attributes, dataValues, valueMaps);
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

    /** Builds the nested bundle; a value the mapping needs but the form lacks is the sender's mistake (400). */
    Bundle bundle(JsonNode form) {
        String caseId = required(form, caseIdAt, "the case id");
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
        String te = Dhis2Uid.derive("trackedEntity", caseId);
        String en = Dhis2Uid.derive("enrollment", caseId + "/" + program);
        String ev = Dhis2Uid.derive("event", formId + "/" + programStage);

        ObjectNode bundle = Json.object();
        ObjectNode t = bundle.putArray("trackedEntities").addObject();
        t.put("trackedEntity", te).put("trackedEntityType", trackedEntityType).put("orgUnit", ou);
        ArrayNode attrs = t.putArray("attributes");
        attributes.forEach((uid, path) -> {
            String v = mapped(uid, value(form, path));
            if (v != null) attrs.addObject().put("attribute", uid).put("value", v);
        });
        ObjectNode e = t.putArray("enrollments").addObject();
        e.put("enrollment", en).put("trackedEntity", te).put("program", program).put("orgUnit", ou).put("status", "ACTIVE")
                .put("enrolledAt", enrolled).put("occurredAt", enrolled);
        ObjectNode event = e.putArray("events").addObject();
        event.put("event", ev).put("enrollment", en).put("program", program).put("programStage", programStage).put("orgUnit", ou)
                .put("status", "COMPLETED").put("occurredAt", occurred);
        ArrayNode dvs = event.putArray("dataValues");
        dataValues.forEach((uid, path) -> {
            String v = mapped(uid, value(form, path));
            if (v != null) dvs.addObject().put("dataElement", uid).put("value", v);
        });
        return new Bundle(bundle, caseId, formId, formTime(form), te, en, ev);
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
