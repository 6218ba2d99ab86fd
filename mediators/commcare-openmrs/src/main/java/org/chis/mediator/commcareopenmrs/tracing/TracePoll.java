package org.chis.mediator.commcareopenmrs.tracing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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
 * answered from the ledger, and a failed write is claimed again by the next poll. A FHIR Appointment no-show
 * ({@link NoShows}) is traced the same way, its anchor {@code Appointment/<id>}.
 */
final class TracePoll {
    private static final Logger log = LoggerFactory.getLogger(TracePoll.class);
    static final String LEDGER_KIND = "trace-task";

    private final List<TraceTarget> targets;
    private final OpenMrsClient openmrs;
    private final NoShows noShows;
    private final Ledger ledger;
    private final TracingRules rules;
    private final Clock clock;
    private final Duration lease;

    TracePoll(List<TraceTarget> targets, OpenMrsClient openmrs, NoShows noShows, Ledger ledger, TracingRules rules, Clock clock, Duration lease) {
        this.targets = List.copyOf(targets);
        this.openmrs = openmrs;
        this.noShows = noShows;
        this.ledger = ledger;
        this.rules = rules;
        this.clock = clock;
        this.lease = lease;
    }

    /** What one poll did, for its answer. */
    private static final class Tally {
        int candidates, created, already, failed, noPatient, unreadable;
        final ArrayNode tasks = Json.array();
        final ArrayNode errors = Json.array();
    }

    MediatorResponse handle(MediatorRequest req, TransactionContext tx) {
        Instant now = clock.instant();
        Tally n = new Tally();
        Map<String, List<NoShows.NoShow>> missedAppointments = Map.of();
        if (noShows != null) {
            try {
                missedAppointments = noShows.byPatient(tx, now);
            } catch (UpstreamException e) {
                n.failed++;
                n.errors.add(Json.object().put("error", "cannot read the no-show appointments: " + e.getMessage()));
            }
        }
        for (TraceTarget target : targets) {
            List<TraceTarget.Candidate> followed;
            try {
                followed = target.candidates(tx);
            } catch (UpstreamException e) {
                n.unreadable++;
                n.errors.add(Json.object().put("target", target.name()).put("error", "cannot list the patients it follows: " + e.getMessage()));
                continue;
            }
            n.candidates += followed.size();
            for (TraceTarget.Candidate c : followed) {
                if (c.patient() == null) {
                    n.noPatient++;
                    continue;
                }
                List<JsonNode> encounters;
                try {
                    encounters = openmrs.list(tx, "list encounters", "encounter",
                            Map.of("patient", c.patient(), "v", "custom:(uuid,encounterDatetime,voided,encounterType:(uuid))"));
                } catch (UpstreamException e) {
                    n.failed++;
                    n.errors.add(Json.object().put("target", target.name()).put("record", c.communityId()).put("patient", c.patient()).put("error", e.getMessage()));
                    continue;
                }
                for (TracingRules.Rule rule : rules.rules()) {
                    rule.missed(encounters, now).ifPresent(m -> trace(tx, n, target, c, m, now));
                }
                for (NoShows.NoShow a : missedAppointments.getOrDefault(c.patient(), List.of())) {
                    a.rule().noShow(a.appointment(), a.start(), encounters).ifPresent(m -> trace(tx, n, target, c, m, now));
                }
            }
        }
        tx.property("traceTasksCreated", n.created).property("traceTasksFailed", n.failed);
        ObjectNode body = Json.object().put("candidates", n.candidates).put("tasksCreated", n.created).put("alreadyTraced", n.already)
                .put("withoutPatient", n.noPatient).put("failed", n.failed);
        body.set("tasks", n.tasks);
        if (!n.errors.isEmpty()) body.set("errors", n.errors);
        if (n.unreadable == targets.size()) {
            body.put("error", "no target could list the patients it follows; nothing written");
            return MediatorResponse.json(MediatorStatus.FAILED, 502, body);
        }
        if (n.failed > 0 || n.unreadable > 0) return MediatorResponse.json(MediatorStatus.COMPLETED_WITH_ERRORS, 200, body);
        return n.created > 0 ? MediatorResponse.successful(body) : MediatorResponse.completed(body);
    }

    /** One missed appointment -> one task in this target, unless the ledger has it (done, or being written by another poll). */
    private void trace(TransactionContext tx, Tally n, TraceTarget target, TraceTarget.Candidate c, TracingRules.Missed m, Instant now) {
        String rule = m.rule().name();
        String key = LEDGER_KIND + ":" + target.name() + ":" + rule + ":" + c.patient() + ":" + m.anchorEncounter();
        Ledger.Claim claim = ledger.claim(key, LEDGER_KIND, lease);
        if (!claim.owned()) {
            n.already++;
            return;
        }
        try {
            String task = target.write(tx, key, c, m, now);
            ObjectNode outcome = Json.object().put("target", target.name()).put("task", task).put("patient", c.patient())
                    .put("rule", rule).put("anchorEncounter", m.anchorEncounter()).put("due", m.due().toString());
            ledger.succeed(key, Json.write(outcome));
            n.tasks.add(outcome);
            n.created++;
        } catch (RuntimeException e) {
            ledger.fail(key, Json.write(Json.object().put("error", String.valueOf(e.getMessage()))));
            n.failed++;
            n.errors.add(Json.object().put("target", target.name()).put("record", c.communityId()).put("patient", c.patient())
                    .put("rule", rule).put("error", String.valueOf(e.getMessage())));
            log.warn("trace task {} not written: {}", key, e.getMessage());
        }
    }
}
