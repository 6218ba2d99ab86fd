package org.chis.mediator.commcareopenmrs.tracing;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.chis.common.audit.TransactionContext;
import org.chis.common.systems.commcare.CaseBlock;
import org.chis.common.systems.commcare.CommCareCase;
import org.chis.common.systems.commcare.CommCareClient;
import org.chis.common.systems.commcare.FormSubmission;
import org.chis.common.systems.openmrs.StableUuid;

/**
 * Trace tasks as CommCare cases: candidates are the open cases of {@code candidates.caseType}; a task is a case of
 * {@code task.caseType}, child of the patient's case with its owner, created by one form whose case id and instanceID
 * derive from the ledger key (HQ keeps a case id and ignores a repeated instanceID).
 */
final class CommCareTraces implements TraceTarget {
    private final CommCareClient commcare;
    private final TracingRules rules;
    private final int maxCandidates;

    CommCareTraces(CommCareClient commcare, TracingRules rules, int maxCandidates) {
        this.commcare = commcare;
        this.rules = rules;
        this.maxCandidates = maxCandidates;
    }

    @Override
    public String name() { return "commcare"; }

    @Override
    public List<Candidate> candidates(TransactionContext tx) {
        List<Candidate> out = new ArrayList<>();
        for (CommCareCase c : commcare.allCases(tx, Map.of("case_type", rules.candidateCaseType(), "closed", "false"), maxCandidates)) {
            String p = c.property(rules.patientProperty());
            if (p == null || p.isBlank()) p = c.externalId();
            out.add(new Candidate(p == null || p.isBlank() ? null : p.trim(), c.caseId(), c.caseName(), c.ownerId(), c.caseType()));
        }
        return out;
    }

    @Override
    public String write(TransactionContext tx, String key, Candidate c, TracingRules.Missed m, Instant now) {
        String caseId = StableUuid.of(TracePoll.LEDGER_KIND, key, "case");
        String name = m.rule().label() + ": " + (c.name() == null ? c.patient() : c.name());
        CaseBlock block = CaseBlock.of(caseId).create(rules.taskCaseType(), name, c.ownerId())
                .index(rules.parentIndex(), c.type(), c.communityId(), "child")
                .set("trace_rule", m.rule().name())
                .set("trace_reason", m.rule().label())
                .set("last_visit_date", m.anchorTime().toLocalDate().toString())
                .set("due_date", m.due().atOffset(ZoneOffset.UTC).toLocalDate().toString())
                .set("openmrs_uuid", c.patient())
                .set("openmrs_last_encounter_uuid", m.anchorEncounter())
                .set("patient_case_id", c.communityId());
        Instant t = now.truncatedTo(ChronoUnit.MILLIS);
        FormSubmission form = new FormSubmission(rules.taskXmlns(), StableUuid.of(TracePoll.LEDGER_KIND, key, "form")).name("Trace task")
                .deviceId("chis-tracing").times(t, t).question("trace_key", key).addCase(block);
        commcare.submit(tx, form);
        return caseId;
    }
}
