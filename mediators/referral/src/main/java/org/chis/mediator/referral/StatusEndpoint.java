package org.chis.mediator.referral;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.chis.common.json.Json;
import org.chis.common.http.BadInputException;
import org.chis.common.openhim.MediatorRequest;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.audit.TransactionContext;

/**
 * A facility app moves a referral: {@code PUT|POST /referrals/{id}/status} with {@code {"status", "businessStatus"?,
 * "reason"?, "by"?}} and optionally {@code If-Match: W/"<task version>"} (or {@code "taskVersion"} in the body).
 * {@code GET /referrals/{id}} shows the referral and its recorded transitions.
 */
final class StatusEndpoint {
    static final String STATUS_PATH = "/referrals/([^/]+)/status";
    static final String REFERRAL_PATH = "/referrals/([^/]+)";
    private static final Pattern STATUS = Pattern.compile(STATUS_PATH);
    private static final Pattern REFERRAL = Pattern.compile(REFERRAL_PATH);
    private static final Pattern IF_MATCH = Pattern.compile("^(?:W/)?\"?([^\"]+)\"?$");

    private final ReferralRecords records;
    private final StatusChanges changes;

    StatusEndpoint(ReferralRecords records, StatusChanges changes) {
        this.records = records;
        this.changes = changes;
    }

    MediatorResponse change(MediatorRequest req, TransactionContext tx) {
        Matcher m = STATUS.matcher(req.path());
        if (!m.matches()) throw new BadInputException(404, "no referral in " + req.path());
        String id = m.group(1);
        JsonNode body = req.json();
        String statusText = body.path("status").asText(null);
        if (statusText == null) throw new BadInputException("\"status\" is required (one of " + TaskStatus.codes() + ")");
        TaskStatus to = TaskStatus.of(statusText).orElseThrow(() ->
                new BadInputException("\"status\": '" + statusText + "' is not a Task status (one of " + TaskStatus.codes() + ")"));
        ReferralRecord r = records.find(id).orElseThrow(() -> new BadInputException(404, "no referral " + id));
        String ifMatch = null;
        if (req.header("if-match") != null) {
            Matcher v = IF_MATCH.matcher(req.header("if-match").trim());
            ifMatch = v.matches() ? v.group(1) : req.header("if-match").trim();
        } else if (body.hasNonNull("taskVersion")) {
            ifMatch = body.get("taskVersion").asText();
        }
        tx.property("referral.id", id);
        StatusChanges.Result res = changes.change(tx, r, to, body.path("businessStatus").asText(null), body.path("reason").asText(null),
                body.path("by").asText(req.clientId() != null ? req.clientId() : "facility"), "api", ifMatch);
        ObjectNode out = view(res.referral());
        out.put("changed", res.changed());
        if (!res.changed()) out.put("note", "the referral already is " + to.code() + ": nothing changed");
        else out.put("from", res.from().code());
        if (res.pushedTo() != null) out.put("pushedBackTo", res.pushedTo());
        if (res.pushError() != null) out.put("pushBackError", res.pushError() + " (retried by the next /referrals/sync)");
        return MediatorResponse.successful(out).header("ETag", "W/\"" + res.taskVersion() + "\"");
    }

    MediatorResponse show(MediatorRequest req, TransactionContext tx) {
        Matcher m = REFERRAL.matcher(req.path());
        if (!m.matches()) throw new BadInputException(404, "no referral in " + req.path());
        ReferralRecord r = records.find(m.group(1)).orElseThrow(() -> new BadInputException(404, "no referral " + m.group(1)));
        ObjectNode out = view(r);
        ArrayNode t = out.putArray("transitions");
        for (ReferralRecords.Transition x : records.transitions(r.referralId())) {
            ObjectNode o = t.addObject();
            o.put("from", x.from()).put("to", x.to()).put("businessStatus", x.businessStatus()).put("by", x.actor()).put("via", x.via())
                    .put("taskVersion", x.taskVersion()).put("note", x.note()).put("at", x.at().toString());
        }
        return MediatorResponse.successful(out);
    }

    static ObjectNode view(ReferralRecord r) {
        ObjectNode o = Json.object();
        o.put("referralId", r.referralId()).put("source", r.source()).put("communityId", r.communityId()).put("urgency", r.urgency())
                .put("status", r.status().code()).put("businessStatus", r.businessStatus()).put("expiresAt", r.expiresAt().toString());
        if (r.taskId() != null) o.put("task", "Task/" + r.taskId()).put("taskVersion", r.taskVersion());
        if (r.serviceRequestId() != null) o.put("serviceRequest", "ServiceRequest/" + r.serviceRequestId());
        if (r.emrEncounterUuid() != null) o.put("emrEncounter", r.emrEncounterUuid());
        o.put("pushedBack", !r.pushPending());
        return o;
    }
}
