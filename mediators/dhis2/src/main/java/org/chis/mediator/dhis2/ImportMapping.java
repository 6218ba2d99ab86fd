package org.chis.mediator.dhis2;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.chis.common.config.ConfigException;
import org.chis.common.json.Json;
import org.chis.common.systems.dhis2.Dhis2Uid;

/**
 * Which DHIS2 tracked entities are imported into CommCare and how ({@code mediator-configs/dhis2/import.json}):
 * the tracked entity type (and optionally program) and org unit subtree to pull, the CommCare case type and
 * owner, which attributes make the case name, and attribute UID -> case property. See the README.
 */
public record ImportMapping(String trackedEntityType, String program, String orgUnit, String ouMode, String caseType, String ownerId,
                            List<String> caseName, Map<String, String> properties, Events events) {

    /**
     * Events of one program (optionally one stage) whose data values update the case of their tracked entity.
     *
     * @param dataValues data element UID -> case property
     */
    public record Events(String program, String programStage, Map<String, String> dataValues) {
        Map<String, String> query(ImportMapping m) {
            Map<String, String> q = new LinkedHashMap<>();
            q.put("program", program);
            if (programStage != null) q.put("programStage", programStage);
            if (m.orgUnit() != null) q.put("orgUnit", m.orgUnit());
            q.put("ouMode", m.ouMode());
            q.put("order", "updatedAt:asc");
            return q;
        }
    }

    public static ImportMapping load(Path file) {
        try {
            return fromJson(Json.parse(Files.readString(file)), file.toString());
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException("import mapping " + file + ": " + e.getMessage());
        }
    }

    public static ImportMapping fromJson(JsonNode j, String where) {
        String tet = j.path("trackedEntityType").asText(null);
        if (!Dhis2Uid.isValid(tet)) throw new ConfigException(where + ": trackedEntityType must be a DHIS2 UID");
        String program = j.path("program").asText(null);
        if (program != null && !Dhis2Uid.isValid(program)) throw new ConfigException(where + ": program must be a DHIS2 UID");
        String orgUnit = j.path("orgUnit").asText(null);
        if (orgUnit != null && !Dhis2Uid.isValid(orgUnit)) throw new ConfigException(where + ": orgUnit must be a DHIS2 UID");
        String caseType = j.path("caseType").asText("dhis2_person");
        String owner = j.path("ownerId").asText(null);
        if (owner == null || owner.isBlank()) throw new ConfigException(where + ": ownerId (the CommCare user or location owning new cases) is missing");
        List<String> name = new ArrayList<>();
        j.path("caseName").forEach(n -> name.add(n.asText()));
        Map<String, String> props = new LinkedHashMap<>();
        j.path("properties").fields().forEachRemaining(e -> props.put(e.getKey(), e.getValue().asText()));
        Events events = null;
        JsonNode ev = j.path("events");
        if (ev.isObject()) {
            String evProgram = ev.path("program").asText(null);
            if (!Dhis2Uid.isValid(evProgram)) throw new ConfigException(where + ": events.program must be a DHIS2 UID");
            String stage = ev.path("programStage").asText(null);
            if (stage != null && !Dhis2Uid.isValid(stage)) throw new ConfigException(where + ": events.programStage must be a DHIS2 UID");
            Map<String, String> dvs = new LinkedHashMap<>();
            ev.path("dataValues").fields().forEachRemaining(e -> dvs.put(e.getKey(), e.getValue().asText()));
            events = new Events(evProgram, stage, dvs);
        }
        return new ImportMapping(tet, program, orgUnit, j.path("ouMode").asText(orgUnit == null ? "ALL" : "DESCENDANTS"), caseType, owner,
                List.copyOf(name), props, events);
    }

    /** The export filters (without paging). */
    Map<String, String> query() {
        Map<String, String> q = new LinkedHashMap<>();
        q.put("trackedEntityType", trackedEntityType);
        if (program != null) q.put("program", program);
        if (orgUnit != null) q.put("orgUnit", orgUnit);
        q.put("ouMode", ouMode);
        q.put("order", "updatedAt:asc");
        return q;
    }
}
