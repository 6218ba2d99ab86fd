package org.chis.mediator.referral;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import org.chis.common.json.Json;

/** The FHIR R4 resources of one referral: Patient, ServiceRequest (the referral itself) and the Task that tracks it. */
final class ReferralResources {
    static final String BUSINESS_STATUS_SYSTEM = "urn:chis:referral-business-status";
    /** meta.tag system naming the referral that created a resource: for audit, and how a rollback finds what it created. */
    static final String CREATED_BY = "urn:chis:created-by-referral";

    private ReferralResources() {}

    static ObjectNode patient(Referral r, ReferralConfig c) {
        ObjectNode p = Json.object().put("resourceType", "Patient");
        createdBy(p, r);
        p.putArray("identifier").addObject().put("use", "official").put("system", c.patientSystem(r.source())).put("value", r.patientIdentifier());
        p.put("active", true);
        ObjectNode name = p.putArray("name").addObject().put("use", "official").put("family", r.familyName());
        ArrayNode given = name.putArray("given");
        for (String g : r.givenName().split("\\s+")) given.add(g);
        if (r.phone() != null) p.putArray("telecom").addObject().put("system", "phone").put("value", r.phone()).put("use", "mobile");
        if (r.gender() != null) p.put("gender", r.gender());
        if (r.birthDate() != null) p.put("birthDate", r.birthDate());
        return p;
    }

    static ObjectNode serviceRequest(Referral r, ReferralConfig c, String patientRef) {
        ObjectNode s = Json.object().put("resourceType", "ServiceRequest");
        createdBy(s, r);
        s.putArray("identifier").addObject().put("system", c.referralSystem()).put("value", r.referralId());
        s.put("status", "active").put("intent", "order").put("priority", priority(r));
        s.putArray("category").addObject().putArray("coding").addObject()
                .put("system", "http://snomed.info/sct").put("code", "3457005").put("display", "Patient referral");
        s.putObject("code").put("text", r.focus() != null ? r.focus() : "Referral to facility");
        s.putObject("subject").put("reference", patientRef);
        s.put("authoredOn", instant(r.authoredOn()));
        s.set("requester", requester(r, c));
        s.putArray("performer").add(owner(r, c));
        s.putArray("reasonCode").addObject().put("text", r.reason());
        if (!r.dangerSigns().isEmpty()) s.putArray("note").addObject().put("text", "Danger signs: " + String.join(", ", r.dangerSigns()));
        return s;
    }

    static ObjectNode task(Referral r, ReferralConfig c, String patientRef, String serviceRequestRef, Instant expiresAt) {
        ObjectNode t = Json.object().put("resourceType", "Task");
        createdBy(t, r);
        t.putArray("identifier").addObject().put("system", c.referralSystem()).put("value", r.referralId());
        t.putArray("basedOn").addObject().put("reference", serviceRequestRef);
        t.put("status", r.initialStatus().code());
        t.set("businessStatus", businessStatus("referred"));
        t.put("intent", "order").put("priority", priority(r));
        t.putObject("code").putArray("coding").addObject().put("system", "http://hl7.org/fhir/CodeSystem/task-code")
                .put("code", "fulfill").put("display", "Fulfill the focal request");
        t.put("description", r.reason() + (r.dangerSigns().isEmpty() ? "" : " (danger signs: " + String.join(", ", r.dangerSigns()) + ")"));
        t.putObject("focus").put("reference", serviceRequestRef);
        t.putObject("for").put("reference", patientRef);
        t.put("authoredOn", instant(r.authoredOn())).put("lastModified", instant(r.authoredOn()));
        t.set("requester", requester(r, c));
        t.set("owner", owner(r, c));
        t.putObject("executionPeriod").put("start", instant(r.authoredOn()));
        t.putObject("restriction").putObject("period").put("end", instant(expiresAt));
        return t;
    }

    static ObjectNode businessStatus(String code) {
        ObjectNode b = Json.object();
        b.putArray("coding").addObject().put("system", BUSINESS_STATUS_SYSTEM).put("code", code);
        b.put("text", code);
        return b;
    }

    /** The business status a move sets unless the caller names one (OpenSRP-style labels the CHW apps show). */
    static String defaultBusinessStatus(TaskStatus s) {
        return switch (s) {
            case DRAFT -> "draft";
            case REQUESTED, READY -> "referred"; // OpenSRP's CHW app: a READY task is "Referred"
            case RECEIVED -> "received";
            case ACCEPTED -> "accepted";
            case REJECTED -> "rejected";
            case IN_PROGRESS -> "in-progress";
            case ON_HOLD -> "on-hold";
            case COMPLETED -> "complete";
            case FAILED -> "failed";
            case CANCELLED -> "cancelled";
            case ENTERED_IN_ERROR -> "entered-in-error";
        };
    }

    static String businessStatusOf(ObjectNode task) {
        var b = task.path("businessStatus");
        for (var coding : b.path("coding")) if (coding.hasNonNull("code")) return coding.get("code").asText();
        return b.path("text").asText(null);
    }

    /** The same Task moved to {@code to}: status, business status, reason, lastModified, and the period closed when it ends. */
    static ObjectNode moved(ObjectNode task, TaskStatus to, String businessStatus, String reason, Instant at) {
        ObjectNode t = task.deepCopy();
        t.put("status", to.code());
        t.set("businessStatus", businessStatus(businessStatus));
        if (reason != null && !reason.isBlank()) t.putObject("statusReason").put("text", reason);
        else t.remove("statusReason");
        // Task inv-1: lastModified >= authoredOn, even if this host's clock is behind the one that authored it
        Instant authored = parseInstant(t.path("authoredOn").asText(null));
        Instant stamp = authored != null && authored.isAfter(at) ? authored : at;
        t.put("lastModified", instant(stamp));
        if (to.terminal()) {
            ObjectNode period = t.has("executionPeriod") ? (ObjectNode) t.get("executionPeriod") : t.putObject("executionPeriod");
            Instant start = parseInstant(period.path("start").asText(null));
            period.put("end", instant(start != null && start.isAfter(stamp) ? start : stamp));
        }
        return t;
    }

    private static void createdBy(ObjectNode resource, Referral r) {
        resource.putObject("meta").putArray("tag").addObject().put("system", CREATED_BY).put("code", r.referralId())
                .put("display", "created by the CHIS referral mediator");
    }

    private static String priority(Referral r) { return r.urgent() ? "urgent" : "routine"; }

    /** The CHW by identifier (a logical reference): no Practitioner has to exist on the server for it. */
    private static ObjectNode requester(Referral r, ReferralConfig c) {
        ObjectNode ref = Json.object().put("type", "Practitioner");
        ref.putObject("identifier").put("system", c.chwSystem()).put("value", r.requester());
        ref.put("display", r.requesterName() != null ? r.requesterName() : r.requester());
        return ref;
    }

    private static ObjectNode owner(Referral r, ReferralConfig c) {
        ObjectNode ref = Json.object().put("type", "Organization");
        ref.putObject("identifier").put("system", c.facilitySystem()).put("value", r.facility());
        ref.put("display", r.facility());
        return ref;
    }

    private static Instant parseInstant(String s) {
        if (s == null) return null;
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    static String instant(Instant at) { return at.truncatedTo(ChronoUnit.MILLIS).toString(); }
}
