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
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.chis.common.json.Json;
import org.chis.common.http.BadInputException;
import org.chis.common.openhim.MediatorRequest;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorStatus;
import org.chis.common.audit.TransactionContext;
import org.chis.common.store.StateStore;
import org.chis.common.systems.dhis2.Dhis2Client;
import org.chis.common.systems.dhis2.TrackerReport;
import org.chis.common.work.Idempotent;

/**
 * {@code POST /dhis2/tracker}: a forwarded CommCare form becomes a tracked entity + enrollment + event in one
 * {@code POST /api/tracker?async=false&importStrategy=CREATE_AND_UPDATE&atomicMode=ALL}. DHIS2 writes all or
 * nothing, so there is nothing to roll back; the UIDs are derived from the case and form ids, so a rerun updates
 * the same objects. The ledger (key: form id + body hash) answers an identical resend from its record (the room's
 * duplicate answer, {@link Idempotent}).
 */
final class TrackerEndpoint {
    static final String ID_NAMESPACE = "dhis2.trackedEntity"; // CommCare case id -> tracked entity UID
    /** Marker per tracked entity: "{form time} {form id}" of the newest form whose attributes and enrollment it holds. */
    static final String NEWEST_FORM = "dhis2.tracker.newestForm:";
    private final ReentrantLock[] entityLocks = new ReentrantLock[64];
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
        for (int i = 0; i < entityLocks.length; i++) entityLocks[i] = new ReentrantLock();
    }

    MediatorResponse handle(MediatorRequest request, TransactionContext tx) throws Exception {
        JsonNode form = request.json();
        String xmlns = form.path("form").path("@xmlns").asText(form.path("xmlns").asText(null));
        if (xmlns == null) throw new BadInputException("not a CommCare form: no form.@xmlns");
        TrackerMapping mapping = mappings.stream().filter(m -> m.xmlns().equals(xmlns)).findFirst()
                .orElseThrow(() -> new BadInputException("no tracker mapping for form xmlns '" + xmlns + "' (known: "
                        + mappings.stream().map(TrackerMapping::xmlns).toList() + ")"));
        TrackerMapping.Bundle b = mapping.bundle(form);
        tx.property("dhis2.mapping", mapping.name());
        tx.property("dhis2.trackedEntity", b.trackedEntity());
        tx.property("dhis2.enrollment", b.enrollment());
        tx.property("dhis2.event", b.event());
        tx.property("commcare.caseId", b.caseId());

        String key = "tracker:" + b.formId() + ":" + sha256(request.body()).substring(0, 16);
        return room.run(tx, key, "form " + b.formId(), held -> {
            // one form of a tracked entity at a time (per process): deciding "older?", sending and recording the newest
            // time are one step, so two forms of one entity arriving together reach DHIS2 in the order the check assumed
            ReentrantLock entityLock = entityLocks[Math.floorMod(b.trackedEntity().hashCode(), entityLocks.length)];
            entityLock.lock();
            try {
                return send(tx, mapping, b, held);
            } finally {
                entityLock.unlock();
            }
        });
    }

    private MediatorResponse send(TransactionContext tx, TrackerMapping mapping, TrackerMapping.Bundle b, Idempotent.Held held) {
        // a form older than the newest one sent for this tracked entity (a rerun days later) adds its event only: the
        // attributes and enrollment it carries are out of date
        String newestKey = NEWEST_FORM + b.trackedEntity();
        Instant newest = store.feedMarkers().get(newestKey).map(TrackerEndpoint::markerTime).orElse(null);
        boolean older = b.formTime() != null && newest != null && b.formTime().isBefore(newest);
        if (older) tx.property("dhis2.olderForm", "event only: " + newest + " is newer than this form's " + b.formTime());
        TrackerReport report = dhis2.importTracker(tx, "tracker import " + mapping.name(), older ? b.eventOnly() : b.json(), "CREATE_AND_UPDATE", "ALL");
        tx.property("dhis2.created", report.created());
        tx.property("dhis2.updated", report.updated());
        tx.property("dhis2.ignored", report.ignored());
        ObjectNode body = Json.object();
        body.put("trackedEntity", b.trackedEntity()).put("enrollment", b.enrollment()).put("event", b.event())
                .put("caseId", b.caseId()).put("formId", b.formId()).put("status", report.status());
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
            store.idMap().put(c, ID_NAMESPACE, b.caseId(), b.trackedEntity());
            // compare-and-set on the locked row: another replica's newer form recorded meanwhile is never overwritten
            if (!older && b.formTime() != null) {
                store.feedMarkers().advanceIfNewer(c, newestKey, b.formTime() + " " + b.formId(), TrackerEndpoint::newerMarker);
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
