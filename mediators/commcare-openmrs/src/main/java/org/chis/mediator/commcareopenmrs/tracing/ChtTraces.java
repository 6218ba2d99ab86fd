package org.chis.mediator.commcareopenmrs.tracing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.chis.common.http.UpstreamException;
import org.chis.common.json.Json;
import org.chis.common.audit.TransactionContext;
import org.chis.common.store.IdMap;
import org.chis.mediator.commcareopenmrs.cht.ChtClient;
import org.chis.mediator.commcareopenmrs.forms.SourceIntake;

/**
 * Trace tasks as CHT reports: candidates are the CHT people linked to an OpenMRS patient (id map
 * {@code cht-person->patient}, written by CHT reports and the OpenMRS -> CHT feed); a task is a report
 * ({@code POST /api/v1/records}) of the JSON form {@code task.chtForm} about that person, which CHT's task config
 * turns into a task for the CHW. CHT assigns report ids itself: the report id is kept under the ledger key (id map
 * {@value #KEY_TO_REPORT}) before the ledger is marked done, so a rerun finds it and sends nothing.
 */
final class ChtTraces implements TraceTarget {
    static final String KEY_TO_REPORT = "trace-task->cht-report";

    private final ChtClient cht;
    private final IdMap idMap;
    private final TracingRules rules;
    private final int maxCandidates;

    ChtTraces(ChtClient cht, IdMap idMap, TracingRules rules, int maxCandidates) {
        this.cht = cht;
        this.idMap = idMap;
        this.rules = rules;
        this.maxCandidates = maxCandidates;
    }

    @Override
    public String name() { return "cht"; }

    @Override
    public List<Candidate> candidates(TransactionContext tx) {
        List<Map.Entry<String, String>> people = idMap.pairs(SourceIntake.CHT_PERSON_TO_PATIENT, maxCandidates + 1);
        if (people.size() > maxCandidates) throw new UpstreamException("more than " + maxCandidates + " CHT people are linked to OpenMRS patients", 0);
        return people.stream().map(e -> new Candidate(e.getValue(), e.getKey(), null, null, "person")).toList();
    }

    @Override
    public String write(TransactionContext tx, String key, Candidate c, TracingRules.Missed m, Instant now) {
        Optional<String> sent = idMap.target(KEY_TO_REPORT, key);
        if (sent.isPresent()) return sent.get();
        ObjectNode report = Json.object();
        report.putObject("_meta").put("form", rules.chtForm()).put("from", rules.chtFrom()).put("reported_date", now.toEpochMilli());
        report.put("patient_uuid", c.communityId())
                .put("openmrs_patient_uuid", c.patient())
                .put("trace_rule", m.rule().name())
                .put("trace_reason", m.rule().label())
                .put("last_visit_date", m.anchorTime().toLocalDate().toString())
                .put("due_date", m.due().atOffset(ZoneOffset.UTC).toLocalDate().toString())
                .put("openmrs_last_encounter_uuid", m.anchorEncounter())
                .put("trace_key", key);
        String id = cht.createReport(tx, report);
        idMap.put(KEY_TO_REPORT, key, id);
        return id;
    }
}
