package org.chis.mediator.dhis2;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.chis.common.json.Json;
import org.chis.common.http.BadInputException;
import org.chis.common.openhim.MediatorRequest;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorStatus;
import org.chis.common.audit.TransactionContext;
import org.chis.common.store.KeyLocks;
import org.chis.common.store.StateStore;
import org.chis.common.systems.dhis2.Dhis2Client;
import org.chis.common.systems.dhis2.TrackerReport;
import org.chis.common.work.Idempotent;

/**
 * {@code POST /dhis2/tracker}: a forwarded CommCare form becomes a tracked entity + enrollment + event (or, for an
 * event program, one event) in one
 * {@code POST /api/tracker?async=false&importStrategy=CREATE_AND_UPDATE&atomicMode=ALL}. DHIS2 writes all or
 * nothing, so there is nothing to roll back; the UIDs are derived from the case and form ids, so a rerun updates
 * the same objects. Before our own tracked entity is created, a person already in DHIS2 with the form's
 * {@code findBy} attribute value is looked up and used instead (no duplicate of someone DHIS2 knows). The ledger (key: form id + body hash) answers an identical resend from its record (the room's
 * duplicate answer, {@link Idempotent}).
 */
final class TrackerEndpoint {
    static final String ID_NAMESPACE = "dhis2.trackedEntity"; // CommCare case id -> tracked entity UID
    /** Marker per tracked entity: "{form time} {form id}" of the newest form whose attributes and enrollment it holds. */
    static final String NEWEST_FORM = "dhis2.tracker.newestForm:";
    /** Ledger kind of a tracker form's claim (key: form id + body hash) and its lease. */
    static final String LEDGER_KIND = "tracker";
    static final Duration LEASE = Duration.ofMinutes(2);

    private final Dhis2Client dhis2;
    private final StateStore store;
    private final List<TrackerMapping> mappings;
    private final Idempotent room;

    TrackerEndpoint(Dhis2Client dhis2, StateStore store, Idempotent room, List<TrackerMapping> mappings) {
        this.dhis2 = dhis2;
        this.store = store;
        this.room = room;
        this.mappings = List.copyOf(mappings);
    }

    MediatorResponse handle(MediatorRequest request, TransactionContext tx) throws Exception {
        JsonNode form = request.json();
        String xmlns = form.path("form").path("@xmlns").asText(form.path("xmlns").asText(null));
        if (xmlns == null) throw new BadInputException("not a CommCare form: no form.@xmlns");
        TrackerMapping mapping = mappings.stream().filter(m -> m.xmlns().equals(xmlns)).findFirst()
                .orElseThrow(() -> new BadInputException("no tracker mapping for form xmlns '" + xmlns + "' (known: "
                        + mappings.stream().map(TrackerMapping::xmlns).toList() + ")"));
        TrackerMapping.Form f = mapping.formOf(form);
        tx.property("dhis2.mapping", mapping.name());
        String key = "tracker:" + f.formId() + ":" + sha256(request.body()).substring(0, 16);
        if (mapping.kind() == TrackerMapping.Kind.EVENT) {
            TrackerMapping.Bundle b = mapping.eventBundle(f);
            tx.property("dhis2.event", b.eventUid());
            return room.run(tx, key, "form " + f.formId(), held -> {
                TrackerReport report = dhis2.importTracker(tx, "tracker import " + mapping.name(), b.json(), "CREATE_AND_UPDATE", "ALL");
                return answer(tx, b, null, false, report, held);
            });
        }
        tx.property("commcare.caseId", f.caseId());
        TrackerMapping.Target ours = mapping.derivedTarget(f);
        return room.run(tx, key, "form " + f.formId(), held -> {
            // one form of a person at a time, in every replica on the database: finding its tracked entity, deciding
            // "older?", sending and recording the newest time are one step, so two forms of one case reach DHIS2 in the
            // order the check assumed, and two cases with one findBy value do not both find nobody and both create
            KeyLocks locks = store.keyLocks();
            try (KeyLocks.Held person = locks.tryLock("tracked-entity", personKeys(mapping, f, ours))) {
                if (person == null) {
                    MediatorResponse busy = Idempotent.busy("form " + f.formId() + ": another form of the same person has been in progress for "
                            + locks.waitLimit().toSeconds() + " s; nothing written, retry later", room.retryAfter());
                    held.fail(busy.body());
                    return busy;
                }
                return sendTracker(tx, mapping, f, held);
            } catch (Ambiguous e) {
                ObjectNode body = Json.object().put("caseId", f.caseId()).put("formId", f.formId()).put("error", e.getMessage());
                // a data problem in DHIS2 (two people share the value): the same form fails again until someone merges them
                return MediatorResponse.json(MediatorStatus.FAILED, 409, body);
            }
        });
    }

    /** What names the person: our derived tracked entity and the form's findBy attribute value, if any. */
    static List<String> personKeys(TrackerMapping mapping, TrackerMapping.Form f, TrackerMapping.Target ours) {
        List<String> keys = new ArrayList<>();
        keys.add("entity/" + ours.trackedEntity());
        Map.Entry<String, String> identity = f.identity(mapping.findBy());
        if (identity != null) keys.add("attribute/" + identity.getKey() + "/" + identity.getValue());
        return keys;
    }

    /** More than one tracked entity has the form's findBy value: which one is meant cannot be guessed. */
    private static final class Ambiguous extends RuntimeException {
        Ambiguous(String message) { super(message, null, false, false); }
    }

    private MediatorResponse sendTracker(TransactionContext tx, TrackerMapping mapping, TrackerMapping.Form f, Idempotent.Held held) {
        TrackerMapping.Target target = target(tx, mapping, f);
        TrackerMapping.Bundle b = mapping.trackerBundle(f, target);
        boolean older = older(tx, b);
        TrackerReport report = dhis2.importTracker(tx, "tracker import " + mapping.name(), older ? b.eventOnly() : b.json(), "CREATE_AND_UPDATE", "ALL");
        if (!report.ok() && target.derived() && report.errors().stream().anyMatch(e -> "E1064".equals(e.errorCode()))) {
            // DHIS2 says the person exists after all (registered since our search, or outside what the search saw):
            // search once more and send into theirs; nothing was written by the refused import
            TrackerMapping.Target found = search(tx, mapping, f);
            if (found != null) {
                tx.property("dhis2.retriedAfter", "E1064");
                target = found;
                b = mapping.trackerBundle(f, found);
                older = older(tx, b);
                report = dhis2.importTracker(tx, "tracker import " + mapping.name() + " into the tracked entity found", older ? b.eventOnly() : b.json(),
                        "CREATE_AND_UPDATE", "ALL");
            }
        }
        return answer(tx, b, target, older, report, held);
    }

    /**
     * The tracked entity of the form's case: the one recorded for the case before, else a person DHIS2 has with the
     * form's findBy value, else our own (derived from the case id; created by the import if new).
     */
    private TrackerMapping.Target target(TransactionContext tx, TrackerMapping mapping, TrackerMapping.Form f) {
        TrackerMapping.Target ours = mapping.derivedTarget(f);
        String known = store.idMap().target(ID_NAMESPACE, f.caseId()).orElse(null);
        if (ours.trackedEntity().equals(known)) return ours;
        if (known != null) {
            tx.property("dhis2.foundBy", "id map");
            return new TrackerMapping.Target(known, false, activeEnrollment(tx, mapping, known));
        }
        TrackerMapping.Target found = search(tx, mapping, f);
        return found != null ? found : ours;
    }

    /** {@code GET /api/tracker/trackedEntities?filter=<attr>:EQ:<value>}; null when nobody (or only our own entity) has the value. */
    private TrackerMapping.Target search(TransactionContext tx, TrackerMapping mapping, TrackerMapping.Form f) {
        Map.Entry<String, String> identity = f.identity(mapping.findBy());
        if (identity == null) return null;
        Map<String, String> query = new LinkedHashMap<>();
        // by type, not program: a person registered in another program is the same person; ACCESSIBLE = the user's
        // search scope (2.41 refuses ACCESSIBLE together with an org unit)
        query.put("trackedEntityType", mapping.trackedEntityType());
        query.put("ouMode", "ACCESSIBLE");
        query.put("filter", identity.getKey() + ":EQ:" + identity.getValue());
        List<JsonNode> hits = dhis2.exportPage(tx, "find tracked entity by " + identity.getKey(), "trackedEntities", query, 1, 2).items();
        if (hits.isEmpty()) return null;
        if (hits.size() > 1) {
            throw new Ambiguous("DHIS2 has more than one tracked entity with attribute " + identity.getKey() + " of this form ("
                    + hits.get(0).path("trackedEntity").asText() + ", " + hits.get(1).path("trackedEntity").asText()
                    + "): nothing was written; merge them in DHIS2 or correct the value, then rerun");
        }
        String uid = hits.get(0).path("trackedEntity").asText();
        if (uid.equals(mapping.derivedTarget(f).trackedEntity())) return null; // ours, from an earlier try of this case
        tx.property("dhis2.foundBy", identity.getKey());
        return new TrackerMapping.Target(uid, false, activeEnrollment(tx, mapping, uid));
    }

    /** The found tracked entity's ACTIVE enrollment in the mapping's program, or null (one is then added). */
    private String activeEnrollment(TransactionContext tx, TrackerMapping mapping, String trackedEntity) {
        Map<String, String> query = new LinkedHashMap<>();
        query.put("trackedEntity", trackedEntity);
        query.put("program", mapping.program());
        query.put("ouMode", "ACCESSIBLE");
        for (JsonNode e : dhis2.exportPage(tx, "enrollments of " + trackedEntity, "enrollments", query, 1, 50).items()) {
            if ("ACTIVE".equals(e.path("status").asText())) return e.path("enrollment").asText();
        }
        return null;
    }

    /** A form older than the newest one sent for this tracked entity (a rerun days later) adds its event only. */
    private boolean older(TransactionContext tx, TrackerMapping.Bundle b) {
        Instant newest = store.feedMarkers().get(NEWEST_FORM + b.trackedEntity()).map(TrackerEndpoint::markerTime).orElse(null);
        boolean older = b.formTime() != null && newest != null && b.formTime().isBefore(newest);
        if (older) tx.property("dhis2.olderForm", "event only: " + newest + " is newer than this form's " + b.formTime());
        return older;
    }

    /** The answer to DHIS2's report; on success records the case's tracked entity and the newest form time (tracker kind). */
    private MediatorResponse answer(TransactionContext tx, TrackerMapping.Bundle b, TrackerMapping.Target target, boolean older, TrackerReport report,
                                    Idempotent.Held held) {
        if (b.trackedEntity() != null) tx.property("dhis2.trackedEntity", b.trackedEntity());
        if (b.enrollment() != null) tx.property("dhis2.enrollment", b.enrollment());
        tx.property("dhis2.event", b.eventUid());
        tx.property("dhis2.created", report.created());
        tx.property("dhis2.updated", report.updated());
        tx.property("dhis2.ignored", report.ignored());
        ObjectNode body = Json.object();
        if (b.trackedEntity() != null) body.put("trackedEntity", b.trackedEntity()).put("enrollment", b.enrollment());
        body.put("event", b.eventUid());
        if (b.caseId() != null) body.put("caseId", b.caseId());
        body.put("formId", b.formId()).put("status", report.status());
        if (target != null && !target.derived()) body.put("foundInDhis2", true);
        body.putObject("stats").put("created", report.created()).put("updated", report.updated()).put("ignored", report.ignored())
                .put("total", report.total());
        if (!report.ok()) {
            ArrayNode errors = body.putArray("errors");
            for (TrackerReport.ObjectReport e : report.errors()) {
                errors.addObject().put("trackerType", e.trackerType()).put("uid", e.uid()).put("errorCode", e.errorCode()).put("message", e.message());
            }
            tx.property("dhis2.errors", report.errors().size());
            String first = report.errors().isEmpty() ? String.valueOf(report.message()) : report.errors().get(0).text();
            body.put("error", "DHIS2 rejected the tracker import (nothing was written): " + first
                    + (report.errors().size() > 1 ? " and " + (report.errors().size() - 1) + " more" : ""));
            // recorded as the claim's failure by the room; a validation error needs a fix in the data or DHIS2 metadata; retrying the same body cannot help
            return MediatorResponse.json(MediatorStatus.FAILED, 409, body);
        }
        if (older) body.put("eventOnly", true);
        held.succeed(body, c -> {
            if (b.caseId() == null) return; // an event program's event belongs to no case
            // a person two cases share (a CommCare duplicate) stays mapped from the first case; the second finds it again
            String owner = store.idMap().source(c, ID_NAMESPACE, b.trackedEntity()).orElse(null);
            if (owner == null || owner.equals(b.caseId())) store.idMap().put(c, ID_NAMESPACE, b.caseId(), b.trackedEntity());
            // compare-and-set on the locked row: another replica's newer form recorded meanwhile is never overwritten
            if (!older && b.formTime() != null) {
                store.feedMarkers().advanceIfNewer(c, NEWEST_FORM + b.trackedEntity(), b.formTime() + " " + b.formId(), TrackerEndpoint::newerMarker);
            }
        });
        if (!report.warnings().isEmpty()) {
            ArrayNode warnings = body.putArray("warnings");
            report.warnings().forEach(w -> warnings.add(w.text()));
            return MediatorResponse.json(MediatorStatus.COMPLETED_WITH_ERRORS, 200, body);
        }
        return MediatorResponse.successful(body);
    }

    /** Whether marker {@code a} is of a later form than {@code b}; an unreadable stored marker counts as older. */
    static boolean newerMarker(String a, String b) {
        Instant ta = markerTime(a);
        Instant tb = markerTime(b);
        return tb == null || (ta != null && !ta.isBefore(tb));
    }

    private static Instant markerTime(String marker) {
        try {
            return Instant.parse(marker.split(" ", 2)[0]);
        } catch (RuntimeException e) {
            return null;
        }
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

}
