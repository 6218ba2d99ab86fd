package org.chis.mediator.commcareopenmrs.tracing;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.chis.common.audit.TransactionContext;
import org.chis.common.http.UpstreamException;
import org.chis.common.json.Json;
import org.chis.common.store.IdMap;
import org.chis.common.systems.openmrs.StableUuid;
import org.chis.mediator.commcareopenmrs.forms.Forms;
import org.chis.mediator.commcareopenmrs.opensrp.OpenSrpClient;

/**
 * Trace tasks as OpenSRP Tasks: candidates are the OpenSRP clients linked to an OpenMRS patient (id map
 * {@value Forms#OPENSRP_CLIENT_TO_PATIENT}, written by OpenSRP events); a task is an OpenSRP {@code Task}
 * ({@code POST /rest/task/add}) for the client's baseEntityId, status Ready, businessStatus "Not Visited", which the
 * CHW's app syncs and updates through {@code /rest/task/update_status} ({@link TaskOutcomePull} reads the outcome back).
 * Its identifier derives from the ledger key; a task OpenSRP already has is left alone (re-adding it would reset an
 * outcome the CHW already gave).
 */
final class OpenSrpTraces implements TraceTarget {
    private final OpenSrpClient opensrp;
    private final IdMap idMap;
    private final TracingRules.OpenSrpTask config;
    private final int maxCandidates;

    OpenSrpTraces(OpenSrpClient opensrp, IdMap idMap, TracingRules.OpenSrpTask config, int maxCandidates) {
        this.opensrp = opensrp;
        this.idMap = idMap;
        this.config = config;
        this.maxCandidates = maxCandidates;
    }

    @Override
    public String name() { return "opensrp"; }

    @Override
    public List<Candidate> candidates(TransactionContext tx) {
        List<Map.Entry<String, String>> clients = idMap.pairs(Forms.OPENSRP_CLIENT_TO_PATIENT, maxCandidates + 1);
        if (clients.size() > maxCandidates) throw new UpstreamException("more than " + maxCandidates + " OpenSRP clients are linked to OpenMRS patients", 0);
        return clients.stream().map(e -> new Candidate(e.getValue(), e.getKey(), null, config.owner(), "client")).toList();
    }

    /** The task identifier for a ledger key: the same trace is the same OpenSRP task. */
    static String identifier(String key) { return StableUuid.of(TracePoll.LEDGER_KIND, key, "opensrp-task"); }

    @Override
    public String write(TransactionContext tx, String key, Candidate c, TracingRules.Missed m, Instant now) {
        String identifier = identifier(key);
        if (opensrp.task(tx, identifier).isPresent()) return identifier;
        String at = now.truncatedTo(ChronoUnit.MILLIS).toString();
        ObjectNode task = Json.object().put("identifier", identifier)
                .put("planIdentifier", config.planIdentifier())
                .put("groupIdentifier", config.groupIdentifier())
                .put("status", "Ready")
                .put("businessStatus", TracingRules.OpenSrpTask.NOT_VISITED)
                .put("code", config.code())
                .put("description", m.rule().label() + " (last seen " + m.anchorTime().toLocalDate()
                        + ", due " + m.due().atOffset(ZoneOffset.UTC).toLocalDate() + ")")
                .put("focus", c.communityId())
                .put("for", c.communityId())
                .put("authoredOn", at)
                .put("lastModified", at)
                .put("owner", c.ownerId())
                .put("requester", "openmrs")
                .put("reasonReference", m.anchorEncounter());
        task.putObject("executionPeriod").put("start", at);
        ArrayNode tasks = Json.array().add(task);
        opensrp.addTasks(tx, tasks);
        return identifier;
    }
}
