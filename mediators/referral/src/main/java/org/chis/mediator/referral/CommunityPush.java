package org.chis.mediator.referral;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Instant;
import java.util.Locale;
import java.util.function.Supplier;
import okhttp3.Request;
import org.chis.common.config.ConfigException;
import org.chis.common.config.Settings;
import org.chis.common.http.Endpoint;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.http.UpstreamException;
import org.chis.common.http.UpstreamResponse;
import org.chis.common.json.Json;
import org.chis.common.audit.TransactionContext;
import org.chis.common.systems.commcare.CaseBlock;
import org.chis.common.systems.commcare.CommCareClient;
import org.chis.common.systems.commcare.FormSubmission;
import org.chis.common.systems.openmrs.StableUuid;

/**
 * Tells the community app a referral's new status, so the CHW sees it on next sync. How depends on where the
 * referral came from ({@code pushback.<source>}): {@code commcare} = a form submission updating the case,
 * {@code opensrp-task} = the OpenSRP task's status through {@code /rest/task/update_status} (what the CHW app's task
 * list shows after its next task sync) plus the status event, {@code opensrp-event} = only an OpenSRP "Referral Status Update" event, {@code cht-record} = a CHT records API
 * report, {@code none}. Each push has a deterministic id, so sending it twice is harmless.
 */
final class CommunityPush {
    static final String FORM_XMLNS = "http://chis.org/referral/status";

    private final Settings settings;
    private final RecordingHttpClient http;
    private final CommCareClient commcare;
    private final Supplier<Endpoint> opensrp;
    private final Supplier<Endpoint> cht;
    private final Clock clock;

    CommunityPush(Settings settings, RecordingHttpClient http, CommCareClient commcare, Clock clock) {
        this.settings = settings;
        this.http = http;
        this.commcare = commcare;
        this.opensrp = Endpoint.basicIfUser(settings, "opensrp");
        this.cht = Endpoint.basicIfUser(settings, "cht");
        this.clock = clock;
    }

    private String channelOf(String source) {
        String fallback = switch (source) {
            case "commcare" -> "commcare";
            case "opensrp" -> "opensrp-task";
            case "cht" -> "cht-record";
            default -> "none";
        };
        return settings.get("pushback." + source, fallback);
    }

    /** Pushes the record's current status; returns where it went ("none" when this source gets nothing). */
    String push(TransactionContext tx, ReferralRecord r) {
        String channel = channelOf(r.source());
        String pushId = StableUuid.of("referral-status", r.referralId(), r.status().code(), String.valueOf(r.businessStatus()));
        Instant now = clock.instant();
        switch (channel) {
            case "commcare" -> {
                FormSubmission form = new FormSubmission(FORM_XMLNS, pushId).name("Referral status update")
                        .user(settings.get("commcare.pushUserId", "chis-mediator"), settings.get("commcare.pushUsername", "chis-mediator"))
                        .times(now, now)
                        .question("referral_id", r.referralId()).question("status", r.status().code())
                        .addCase(CaseBlock.of(r.communityId()).dateModified(now)
                                .set("referral_status", r.status().code())
                                .set("referral_business_status", String.valueOf(r.businessStatus()))
                                .set("referral_task_id", r.taskId() == null ? "" : r.taskId())
                                .set("referral_id", r.referralId())
                                .set("referral_status_date", now.toString()));
                commcare.submit(tx, form);
            }
            case "opensrp-task" -> {
                updateOpenSrpTask(tx, r);
                // the event keeps the history (who changed what when) in OpenSRP's event store, as the HF app's Close Referral event does
                postJson(tx, "OpenSRP: add event", "opensrp", "rest/event/add", opensrpEvent(r, pushId, now));
            }
            case "opensrp-event" -> postJson(tx, "OpenSRP: add event", "opensrp", "rest/event/add", opensrpEvent(r, pushId, now));
            case "cht-record" -> postJson(tx, "CHT: add record", "cht", "api/v2/records", chtRecord(r, now));
            case "none" -> { }
            default -> throw new ConfigException("pushback." + r.source() + "=" + channel + ": use commcare, opensrp-task, opensrp-event, cht-record or none");
        }
        return channel;
    }

    /**
     * {@code POST /rest/task/update_status} with one {@code TaskUpdate}; the OpenSRP task's identifier is the referral id
     * (see opensrp.json). OpenSRP answers {@code {"task_ids": [...]}} with the tasks it changed, 400 when none: a task
     * the CHW app has not synced up yet is not there, so the push fails and the next sync tries again.
     */
    private void updateOpenSrpTask(TransactionContext tx, ReferralRecord r) {
        ArrayNode body = Json.array();
        body.addObject().put("identifier", r.referralId()).put("status", openSrpStatus(r.status()))
                .put("businessStatus", openSrpBusinessStatus(r.businessStatus()));
        UpstreamResponse answer = postJson(tx, "OpenSRP: update task status", "opensrp", "rest/task/update_status", body);
        boolean updated = false;
        try {
            for (var id : Json.parse(answer.body()).path("task_ids")) updated |= id.asText().equals(r.referralId());
        } catch (RuntimeException e) {
            updated = false;
        }
        if (!updated) throw new UpstreamException("OpenSRP: update task status: task " + r.referralId() + " was not updated: " + abbreviate(answer.body()), 502);
    }

    /**
     * OpenSRP's task status enum (Draft, Ready, Cancelled, In Progress, Completed, Failed, Archived) for an R4 status:
     * the open pre-work states are Ready (how the CHW app creates a referral), on-hold is still In Progress,
     * rejected is Cancelled for the CHW (the facility will not do it), entered-in-error is Archived (inactive).
     */
    static String openSrpStatus(TaskStatus s) {
        return switch (s) {
            case DRAFT -> "Draft";
            case REQUESTED, RECEIVED, ACCEPTED, READY -> "Ready";
            case IN_PROGRESS, ON_HOLD -> "In Progress";
            case COMPLETED -> "Completed";
            case FAILED -> "Failed";
            case REJECTED, CANCELLED -> "Cancelled";
            case ENTERED_IN_ERROR -> "Archived";
        };
    }

    /** The business statuses OpenSRP's referral apps colour and filter by (Referred, In-Progress, Complete, Expired); others as they are. */
    static String openSrpBusinessStatus(String business) {
        if (business == null) return null;
        return switch (business.toLowerCase(Locale.ROOT)) {
            case "referred" -> "Referred";
            case "in-progress" -> "In-Progress";
            case "complete" -> "Complete";
            case "expired" -> "Expired";
            default -> business;
        };
    }

    /** The shape OpenSRP's {@code /rest/event/add} takes: {@code {"events": [...]}}. */
    static ObjectNode opensrpEvent(ReferralRecord r, String eventId, Instant now) {
        ObjectNode body = Json.object();
        ObjectNode e = body.putArray("events").addObject();
        e.put("type", "Event").put("eventType", "Referral Status Update").put("entityType", "ec_family_member")
                .put("formSubmissionId", eventId).put("baseEntityId", r.communityId()).put("providerId", "chis-mediator")
                .put("eventDate", now.toString()).put("dateCreated", now.toString()).put("version", now.toEpochMilli());
        ArrayNode obs = e.putArray("obs");
        obs(obs, "referral_task_id", r.referralId());
        obs(obs, "referral_task_status", r.status().code());
        obs(obs, "referral_task_business_status", String.valueOf(r.businessStatus()));
        e.putObject("details").put("taskIdentifier", r.referralId()).put("fhirTask", r.taskId() == null ? "" : "Task/" + r.taskId());
        return body;
    }

    private static void obs(ArrayNode obs, String field, String value) {
        ObjectNode o = obs.addObject();
        o.put("fieldType", "formsubmissionField").put("fieldDataType", "text").put("fieldCode", field).put("formSubmissionField", field)
                .put("parentCode", "");
        o.putArray("values").add(value);
        o.putArray("humanReadableValues");
    }

    static ObjectNode chtRecord(ReferralRecord r, Instant now) {
        ObjectNode b = Json.object();
        b.putObject("_meta").put("form", "referral_status").put("from", "chis-mediator");
        b.put("patient_id", r.communityId()).put("referral_id", r.referralId()).put("status", r.status().code())
                .put("business_status", String.valueOf(r.businessStatus())).put("reported_date", now.toEpochMilli());
        return b;
    }

    private UpstreamResponse postJson(TransactionContext tx, String name, String system, String path, JsonNode body) {
        Endpoint e = (system.equals("opensrp") ? opensrp : cht).get();
        Request.Builder b = new Request.Builder().url(e.base().resolve(path)).post(RecordingHttpClient.jsonBody(Json.write(body)))
                .header("Accept", "application/json");
        if (e.authorization() != null) b.header("Authorization", e.authorization());
        UpstreamResponse r = http.send(tx, name, b.build());
        if (!r.ok()) throw new UpstreamException(name + ": HTTP " + r.status() + " " + abbreviate(r.body()), r.status());
        return r;
    }

    private static String abbreviate(String s) { return s == null ? "" : s.length() > 300 ? s.substring(0, 300) + "..." : s; }
}
