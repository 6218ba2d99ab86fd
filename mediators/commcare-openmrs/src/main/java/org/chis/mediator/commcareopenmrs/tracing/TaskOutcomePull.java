package org.chis.mediator.commcareopenmrs.tracing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.chis.common.audit.TransactionContext;
import org.chis.common.http.BadInputException;
import org.chis.common.http.UpstreamException;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorRequest;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorStatus;
import org.chis.common.store.StateStore;
import org.chis.common.systems.openmrs.StableUuid;
import org.chis.mediator.commcareopenmrs.forms.SourceIntake;
import org.chis.mediator.commcareopenmrs.opensrp.OpenSrpClient;
import org.chis.common.work.OneAtATime;

/**
 * {@code GET|POST /tracing/opensrp/outcomes} (polling channel): trace outcomes from OpenSRP. The CHW's app updates the
 * trace Task through {@code /rest/task/update_status} (businessStatus Found, Moved, Died, ...); this reads the plan's
 * tasks changed after the marker ({@code POST /rest/task/sync}, serverVersion) and gives each task whose businessStatus
 * is an outcome to the forms workflow as an OpenSRP event of {@code opensrp.outcomeEventType} (mapping
 * {@code forms/opensrp-trace-outcome.json}): the same ledger, patient lookup (baseEntityId) and saga as any OpenSRP
 * event. The event's formSubmissionId derives from the task and its outcome, so a rerun writes nothing twice. A
 * failure stops the pull with the marker before that task: the next pull tries it again.
 */
final class TaskOutcomePull {
    static final String FEED = "opensrp:trace-tasks";
    private static final String LOCK = "opensrp:trace-tasks/pull";

    private final OpenSrpClient opensrp;
    private final SourceIntake intake;
    private final StateStore store;
    private final TracingRules.OpenSrpTask config;
    private final Clock clock;
    private final OneAtATime oneAtATime;

    TaskOutcomePull(OpenSrpClient opensrp, SourceIntake intake, StateStore store, TracingRules.OpenSrpTask config, Clock clock) {
        this.opensrp = opensrp;
        this.intake = intake;
        this.store = store;
        this.config = config;
        this.clock = clock;
        this.oneAtATime = new OneAtATime(store);
    }

    MediatorResponse handle(MediatorRequest req, TransactionContext tx) {
        return oneAtATime.run(LOCK, () -> pull(tx)).orElseGet(TaskOutcomePull::busy);
    }

    private static MediatorResponse busy() {
        return MediatorResponse.completed(Json.object().put("busy", true).put("message", "another trace outcome pull is running; nothing read"));
    }

    private MediatorResponse pull(TransactionContext tx) {
        long marker = store.feedMarkers().get(FEED).map(Long::parseLong).orElse(0L);
        ObjectNode report = Json.object().put("from", marker);
        ArrayNode written = Json.array();
        int unchanged = 0, notOutcomes = 0;
        JsonNode tasks;
        try {
            tasks = opensrp.taskSync(tx, config.planIdentifier(), config.groupIdentifier(), marker + 1);
        } catch (UpstreamException e) {
            report.put("error", e.getMessage());
            return MediatorResponse.json(MediatorStatus.FAILED, 502, report);
        }
        List<JsonNode> ordered = new ArrayList<>();
        tasks.forEach(ordered::add);
        ordered.sort(Comparator.comparingLong(t -> t.path("serverVersion").asLong()));
        for (JsonNode task : ordered) {
            long version = task.path("serverVersion").asLong(-1);
            if (version <= marker) continue;
            String status = task.path("businessStatus").asText("");
            if (!config.code().equals(task.path("code").asText()) || !config.outcomes().contains(status)) {
                notOutcomes++;
            } else {
                MediatorResponse r;
                String error = null;
                int http = 502;
                try {
                    r = intake.openSrp(tx, event(task), Json.array());
                    if (r.status() == MediatorStatus.FAILED) {
                        error = Json.parse(r.body()).path("error").asText(r.body());
                        http = r.httpStatus();
                    } else if (r.status() == MediatorStatus.SUCCESSFUL) {
                        written.add(Json.object().put("task", task.path("identifier").asText()).put("businessStatus", status)
                                .set("encounter", Json.parse(r.body()).path("encounter").path("uuid")));
                    } else {
                        unchanged++;
                    }
                } catch (BadInputException e) {
                    error = e.getMessage();
                    http = e.status();
                } catch (UpstreamException e) {
                    error = e.getMessage();
                    http = e.status();
                } catch (Exception e) {
                    error = "internal error: " + e.getMessage();
                    http = 500;
                }
                if (error != null) {
                    report.put("serverVersion", marker).put("unchanged", unchanged).put("notOutcomes", notOutcomes).set("written", written);
                    report.put("failedTask", task.path("identifier").asText())
                            .put("error", error + "; the marker stays before this task, the next pull tries it again");
                    return MediatorResponse.json(MediatorStatus.FAILED, http >= 400 ? http : 502, report);
                }
            }
            long done = version;
            store.inTransaction(c -> {
                store.feedMarkers().advance(c, FEED, Long.toString(done));
                return null;
            });
            marker = version;
        }
        report.put("serverVersion", marker).put("unchanged", unchanged).put("notOutcomes", notOutcomes).set("written", written);
        tx.property("traceOutcomesWritten", written.size());
        return MediatorResponse.json(written.isEmpty() ? MediatorStatus.COMPLETED : MediatorStatus.SUCCESSFUL, 200, report);
    }

    /** The task's outcome as the OpenSRP event the mapping reads: obs trace_outcome (the businessStatus) and task_identifier. */
    private ObjectNode event(JsonNode task) {
        String identifier = task.path("identifier").asText();
        String status = task.path("businessStatus").asText();
        String when = task.path("lastModified").asText("");
        if (when.isBlank()) when = clock.instant().toString();
        ObjectNode e = Json.object().put("eventType", config.outcomeEventType())
                .put("formSubmissionId", StableUuid.of("trace-outcome", identifier, status))
                .put("baseEntityId", task.path("for").asText(null))
                .put("eventDate", when)
                .put("locationId", task.path("groupIdentifier").asText(null))
                .put("providerId", task.path("owner").asText(null))
                .put("entityType", "ec_client");
        ArrayNode obs = e.putArray("obs");
        obs.addObject().put("formSubmissionField", "trace_outcome").put("fieldCode", "trace_outcome").put("fieldType", "formsubmissionField")
                .putArray("values").add(status);
        obs.addObject().put("formSubmissionField", "task_identifier").put("fieldCode", "task_identifier").put("fieldType", "formsubmissionField")
                .putArray("values").add(identifier);
        return e;
    }
}
