package org.chis.mediator.dhis2;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import org.chis.common.config.ConfigException;
import org.chis.common.json.Json;
import org.chis.common.openhim.BadInputException;
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

    public static TrackerMapping load(Path file) {
        try {
            return fromJson(Json.parse(Files.readString(file)), file.toString());
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException("tracker mapping " + file + ": " + e.getMessage());
        }
    }

    public static TrackerMapping fromJson(JsonNode j, String where) {
        String xmlns = text(j, "xmlns", where, true);
        String tet = uid(j, "trackedEntityType", where, true);
        String program = uid(j, "program", where, true);
        String stage = uid(j, "programStage", where, true);
        String orgUnit = uid(j, "orgUnit", where, false);
        String orgUnitFrom = text(j, "orgUnitFrom", where, false);
        if (orgUnit == null && orgUnitFrom == null) throw new ConfigException(where + ": give 'orgUnit' (a UID) or 'orgUnitFrom' (a path) with 'orgUnits'");
        Map<String, String> orgUnits = uidMap(j.path("orgUnits"), "orgUnits", where, false);
        Map<String, String> attributes = uidMap(j.path("attributes"), "attributes", where, true);
        Map<String, String> dataValues = uidMap(j.path("dataValues"), "dataValues", where, true);
        Map<String, Map<String, String>> valueMaps = new LinkedHashMap<>();
        j.path("valueMaps").fields().forEachRemaining(e -> {
            Map<String, String> m = new LinkedHashMap<>();
            e.getValue().fields().forEachRemaining(v -> m.put(v.getKey(), v.getValue().asText()));
            valueMaps.put(e.getKey(), m);
        });
        String occurredAt = j.path("occurredAt").asText("/form/meta/timeEnd");
        return new TrackerMapping(j.path("name").asText(xmlns), xmlns, tet, program, stage, orgUnit, orgUnitFrom, orgUnits,
                j.path("enrolledAt").asText(occurredAt), occurredAt, j.path("caseId").asText("/form/case/@case_id"),
                j.path("formId").asText("/form/meta/instanceID"), j.path("formTime").asText("/form/meta/timeEnd"), attributes, dataValues, valueMaps);
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

    private static String text(JsonNode j, String field, String where, boolean required) {
        String v = j.path(field).asText(null);
        if (required && (v == null || v.isBlank())) throw new ConfigException(where + ": '" + field + "' is missing");
        return v;
    }

    private static String uid(JsonNode j, String field, String where, boolean required) {
        String v = text(j, field, where, required);
        if (v != null && !Dhis2Uid.isValid(v)) throw new ConfigException(where + ": " + field + " '" + v + "' is not a DHIS2 UID");
        return v;
    }

    private static Map<String, String> uidMap(JsonNode n, String field, String where, boolean keysAreUids) {
        Map<String, String> m = new LinkedHashMap<>();
        n.fields().forEachRemaining(e -> {
            String uid = keysAreUids ? e.getKey() : e.getValue().asText();
            if (!Dhis2Uid.isValid(uid)) throw new ConfigException(where + ": " + field + " has '" + uid + "', not a DHIS2 UID");
            m.put(e.getKey(), e.getValue().asText());
        });
        return m;
    }
}
