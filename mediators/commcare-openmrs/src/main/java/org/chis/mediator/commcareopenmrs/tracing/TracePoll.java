package org.chis.mediator.commcareopenmrs.tracing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.chis.common.http.UpstreamException;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorRequest;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorStatus;
import org.chis.common.openhim.TransactionContext;
import org.chis.common.store.Ledger;
import org.chis.common.systems.commcare.CaseBlock;
import org.chis.common.systems.commcare.CommCareCase;
import org.chis.common.systems.commcare.CommCareClient;
import org.chis.common.systems.commcare.FormSubmission;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.chis.common.systems.openmrs.StableUuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET|POST /tracing/poll}: the community cases of {@code candidates.caseType} (open) whose OpenMRS patient
 * missed a visit or refill by a {@link TracingRules.Rule} become trace cases in CommCare (child of the patient's case,
 * same owner, so the CHW's phone shows them). One missed appointment is one task: the ledger key and the case id
 * are derived from rule, patient and the encounter the rule counts from, so a rerun, a second poll or a lost ledger
 * (HQ keeps the case id and ignores a repeated instanceID) never makes a second task.
 */
final class TracePoll {
    private static final Logger log = LoggerFactory.getLogger(TracePoll.class);
    static final String LEDGER_KIND = "trace-task";

    private final CommCareClient commcare;
    private final OpenMrsClient openmrs;
    private final Ledger ledger;
    private final TracingRules rules;
    private final Clock clock;
    private final Duration lease;
    private final int maxCandidates;

    TracePoll(CommCareClient commcare, OpenMrsClient openmrs, Ledger ledger, TracingRules rules, Clock clock, Duration lease, int maxCandidates) {
        this.commcare = commcare;
        this.openmrs = openmrs;
        this.ledger = ledger;
        this.rules = rules;
        this.clock = clock;
        this.lease = lease;
        this.maxCandidates = maxCandidates;
    }

    MediatorResponse handle(MediatorRequest req, TransactionContext tx) {
        List<CommCareCase> candidates;
        try {
            candidates = commcare.allCases(tx, Map.of("case_type", rules.candidateCaseType(), "closed", "false"), maxCandidates);
        } catch (UpstreamException e) {
            return MediatorResponse.failed(502, "tracing poll: cannot list the " + rules.candidateCaseType() + " cases, nothing written: " + e.getMessage());
        }
        Instant now = clock.instant();
        int created = 0, already = 0, failed = 0, noPatient = 0;
        ArrayNode tasks = Json.array();
        ArrayNode errors = Json.array();
        for (CommCareCase c : candidates) {
            String patient = patientOf(c);
            if (patient == null) {
                noPatient++;
                continue;
            }
            List<JsonNode> encounters;
            try {
                encounters = openmrs.list(tx, "list encounters", "encounter",
                        Map.of("patient", patient, "v", "custom:(uuid,encounterDatetime,voided,encounterType:(uuid))"));
            } catch (UpstreamException e) {
                failed++;
                errors.add(Json.object().put("case", c.caseId()).put("patient", patient).put("error", e.getMessage()));
                continue;
            }
            for (TracingRules.Rule rule : rules.rules()) {
                Optional<TracingRules.Missed> missed = rule.missed(encounters, now);
                if (missed.isEmpty()) continue;
                String key = LEDGER_KIND + ":" + rule.name() + ":" + patient + ":" + missed.get().anchorEncounter();
                Ledger.Claim claim = ledger.claim(key, LEDGER_KIND, lease);
                if (!claim.owned()) {
                    already++; // done earlier, or another poll is writing it right now
                    continue;
                }
                try {
                    String caseId = submit(tx, key, c, patient, missed.get(), now);
                    ObjectNode outcome = Json.object().put("traceCase", caseId).put("patient", patient).put("rule", rule.name())
                            .put("anchorEncounter", missed.get().anchorEncounter()).put("due", missed.get().due().toString());
                    ledger.succeed(key, Json.write(outcome));
                    tasks.add(outcome);
                    created++;
                } catch (RuntimeException e) {
                    ledger.fail(key, Json.write(Json.object().put("error", String.valueOf(e.getMessage()))));
                    failed++;
                    errors.add(Json.object().put("case", c.caseId()).put("patient", patient).put("rule", rule.name()).put("error", String.valueOf(e.getMessage())));
                    log.warn("trace task {} not written: {}", key, e.getMessage());
                }
            }
        }
        tx.property("traceTasksCreated", created).property("traceTasksFailed", failed);
        ObjectNode body = Json.object().put("candidates", candidates.size()).put("tasksCreated", created).put("alreadyTraced", already)
                .put("withoutPatient", noPatient).put("failed", failed);
        body.set("tasks", tasks);
        if (!errors.isEmpty()) body.set("errors", errors);
        if (failed > 0) return MediatorResponse.json(MediatorStatus.COMPLETED_WITH_ERRORS, 200, body);
        return created > 0 ? MediatorResponse.successful(body) : MediatorResponse.completed(body);
    }

    private String patientOf(CommCareCase c) {
        String p = c.property(rules.patientProperty());
        if (p == null || p.isBlank()) p = c.externalId();
        return p == null || p.isBlank() ? null : p.trim();
    }

    /**
     * One form with one case block creating the trace case. Case id and instanceID come from the ledger key: a
     * repeat updates the same case (HQ keeps a case id) or is ignored (HQ keeps one form per instanceID).
     */
    private String submit(TransactionContext tx, String key, CommCareCase patientCase, String patient, TracingRules.Missed m, Instant now) {
        String caseId = StableUuid.of(LEDGER_KIND, key, "case");
        String name = m.rule().label() + ": " + (patientCase.caseName() == null ? patient : patientCase.caseName());
        CaseBlock block = CaseBlock.of(caseId).create(rules.taskCaseType(), name, patientCase.ownerId())
                .index(rules.parentIndex(), patientCase.caseType(), patientCase.caseId(), "child")
                .set("trace_rule", m.rule().name())
                .set("trace_reason", m.rule().label())
                .set("last_visit_date", m.anchorTime().toLocalDate().toString())
                .set("due_date", m.due().atOffset(ZoneOffset.UTC).toLocalDate().toString())
                .set("openmrs_uuid", patient)
                .set("openmrs_last_encounter_uuid", m.anchorEncounter())
                .set("patient_case_id", patientCase.caseId());
        Instant t = now.truncatedTo(ChronoUnit.MILLIS);
        FormSubmission form = new FormSubmission(rules.taskXmlns(), StableUuid.of(LEDGER_KIND, key, "form")).name("Trace task")
                .deviceId("chis-tracing").times(t, t).question("trace_key", key).addCase(block);
        commcare.submit(tx, form);
        return caseId;
    }
}
