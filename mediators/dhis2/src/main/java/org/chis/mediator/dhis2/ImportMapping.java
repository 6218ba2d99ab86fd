package org.chis.mediator.dhis2;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.chis.common.config.ConfigException;
import org.chis.common.config.ConfigProblem;
import org.chis.common.config.JsonConfigReader;
import org.chis.common.config.JsonConfigReader.Node;

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

    /** Reads and checks {@code import.json}; every problem (file, JSON path, what is wrong) in one {@link ConfigException}. */
    public static ImportMapping load(Path file) {
        List<ConfigProblem> problems = new ArrayList<>();
        Node root = JsonConfigReader.read(file, file.toString(), problems);
        ImportMapping m = root == null ? null : read(root);
        ConfigException.throwIfAny("the import mapping " + file, problems);
        return m;
    }

    static ImportMapping read(Node j) {
        if (!j.requireObject("the import mapping must be a JSON object")) return null;
        String tet = DataSetMap.uid(j, "trackedEntityType", true);
        String program = DataSetMap.uid(j, "program", false);
        String orgUnit = DataSetMap.uid(j, "orgUnit", false);
        String caseType = j.string("caseType", "dhis2_person");
        String owner = j.string("ownerId", null);
        if (owner == null) j.problem("ownerId", "is required (the CommCare user or location owning new cases)");
        List<String> name = j.strings("caseName");
        Map<String, String> props = j.stringMap("properties");
        Events events = null;
        Node ev = j.object("events", false);
        if (ev != null) {
            String evProgram = DataSetMap.uid(ev, "program", true);
            String stage = DataSetMap.uid(ev, "programStage", false);
            events = new Events(evProgram, stage, ev.stringMap("dataValues"));
        }
        String ouMode = j.string("ouMode", orgUnit == null ? "ALL" : "DESCENDANTS");
        return j.clean() ? new ImportMapping(tet, program, orgUnit, ouMode, caseType, owner, name, props, events) : null;
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
