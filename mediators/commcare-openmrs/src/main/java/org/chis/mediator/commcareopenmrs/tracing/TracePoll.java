package org.chis.mediator.commcareopenmrs.tracing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.chis.common.http.UpstreamException;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorRequest;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorStatus;
import org.chis.common.audit.TransactionContext;
import org.chis.common.store.Ledger;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET|POST /tracing/poll}: for each target app, the patients it follows whose OpenMRS encounters show a missed
 * visit or refill ({@link TracingRules.Rule}) get a trace task there. One missed appointment is one task per target:
 * the ledger key is {@code trace-task:<target>:<rule>:<patient>:<anchor encounter>}, so a rerun or a second poll is
 * answered from the ledger, and a failed write is claimed again by the next poll.
 */
final class TracePoll {
    private static final Logger log = LoggerFactory.getLogger(TracePoll.class);
    static final String LEDGER_KIND = "trace-task";

    private final List<TraceTarget> targets;
    private final OpenMrsClient openmrs;
    private final Ledger ledger;
    private final TracingRules rules;
    private final Clock clock;
    private final Duration lease;

    TracePoll(List<TraceTarget> targets, OpenMrsClient openmrs, Ledger ledger, TracingRules rules, Clock clock, Duration lease) {
        this.targets = List.copyOf(targets);
        this.openmrs = openmrs;
        this.ledger = ledger;
        this.rules = rules;
        this.clock = clock;
        this.lease = lease;
    }

    MediatorResponse handle(MediatorRequest req, TransactionContext tx) {
        Instant now = clock.instant();
        int candidates = 0, created = 0, already = 0, failed = 0, noPatient = 0, unreadable = 0;
        ArrayNode tasks = Json.array();
        ArrayNode errors = Json.array();
        for (TraceTarget target : targets) {
            List<TraceTarget.Candidate> followed;
            try {
                followed = target.candidates(tx);
            } catch (UpstreamException e) {
                unreadable++;
                errors.add(Json.object().put("target", target.name()).put("error", "cannot list the patients it follows: " + e.getMessage()));
                continue;
            }
            candidates += followed.size();
            for (TraceTarget.Candidate c : followed) {
                if (c.patient() == null) {
                    noPatient++;
                    continue;
                }
                List<JsonNode> encounters;
                try {
                    encounters = openmrs.list(tx, "list encounters", "encounter",
                            Map.of("patient", c.patient(), "v", "custom:(uuid,encounterDatetime,voided,encounterType:(uuid))"));
                } catch (UpstreamException e) {
                    failed++;
                    errors.add(Json.object().put("target", target.name()).put("record", c.communityId()).put("patient", c.patient()).put("error", e.getMessage()));
                    continue;
                }
                for (TracingRules.Rule rule : rules.rules()) {
                    Optional<TracingRules.Missed> missed = rule.missed(encounters, now);
                    if (missed.isEmpty()) continue;
                    String key = LEDGER_KIND + ":" + target.name() + ":" + rule.name() + ":" + c.patient() + ":" + missed.get().anchorEncounter();
                    Ledger.Claim claim = ledger.claim(key, LEDGER_KIND, lease);
                    if (!claim.owned()) {
                        already++; // done earlier, or another poll is writing it right now
                        continue;
                    }
                    try {
                        String task = target.write(tx, key, c, missed.get(), now);
                        ObjectNode outcome = Json.object().put("target", target.name()).put("task", task).put("patient", c.patient())
                                .put("rule", rule.name()).put("anchorEncounter", missed.get().anchorEncounter()).put("due", missed.get().due().toString());
                        ledger.succeed(key, Json.write(outcome));
                        tasks.add(outcome);
                        created++;
                    } catch (RuntimeException e) {
                        ledger.fail(key, Json.write(Json.object().put("error", String.valueOf(e.getMessage()))));
                        failed++;
                        errors.add(Json.object().put("target", target.name()).put("record", c.communityId()).put("patient", c.patient())
                                .put("rule", rule.name()).put("error", String.valueOf(e.getMessage())));
                        log.warn("trace task {} not written: {}", key, e.getMessage());
                    }
                }
            }
        }
        tx.property("traceTasksCreated", created).property("traceTasksFailed", failed);
        ObjectNode body = Json.object().put("candidates", candidates).put("tasksCreated", created).put("alreadyTraced", already)
                .put("withoutPatient", noPatient).put("failed", failed);
        body.set("tasks", tasks);
        if (!errors.isEmpty()) body.set("errors", errors);
        if (unreadable == targets.size()) {
            body.put("error", "no target could list the patients it follows; nothing written");
            return MediatorResponse.json(MediatorStatus.FAILED, 502, body);
        }
        if (failed > 0 || unreadable > 0) return MediatorResponse.json(MediatorStatus.COMPLETED_WITH_ERRORS, 200, body);
        return created > 0 ? MediatorResponse.successful(body) : MediatorResponse.completed(body);
    }
}
