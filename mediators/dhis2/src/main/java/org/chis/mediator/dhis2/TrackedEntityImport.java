package org.chis.mediator.dhis2;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorRequest;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.audit.TransactionContext;
import org.chis.common.store.StateStore;
import org.chis.common.systems.commcare.CaseBlock;
import org.chis.common.systems.commcare.CommCareClient;
import org.chis.common.systems.commcare.FormSubmission;
import org.chis.common.systems.dhis2.Dhis2Client;
import org.chis.common.systems.dhis2.TrackerPage;

/**
 * {@code GET /dhis2/import} (an OpenHIM polling channel): tracked entities changed in DHIS2 since the stored
 * marker become CommCare case creates/updates, then (if mapped) events changed since their own marker update the
 * case of their tracked entity; one form submission per export page. The marker moves only after
 * a page's submission succeeded, in the same database transaction as the id map, so a failure on page n leaves it
 * at the end of page n-1 and the next poll starts there: no page is ever skipped. Entities last changed by our own
 * DHIS2 user (what {@code /dhis2/tracker} pushed) are not sent back to CommCare (echo suppression).
 */
final class TrackedEntityImport {
    static final String FEED = "dhis2:trackedEntities";
    static final String EVENT_FEED = "dhis2:events";
    static final String CASE_NAMESPACE = "commcare.case"; // tracked entity UID -> CommCare case id
    static final String XMLNS = "http://chis.org/dhis2-integration";

    private final Dhis2Client dhis2;
    private final CommCareClient commcare;
    private final StateStore store;
    private final Settings settings;
    private final ImportMapping mapping;
    private final ReentrantLock running = new ReentrantLock();

    TrackedEntityImport(Dhis2Client dhis2, CommCareClient commcare, StateStore store, Settings settings, ImportMapping mapping) {
        this.dhis2 = dhis2;
        this.commcare = commcare;
        this.store = store;
        this.settings = settings;
        this.mapping = mapping;
    }

    MediatorResponse handle(MediatorRequest request, TransactionContext tx) {
        if (!running.tryLock()) {
            tx.property("import.skipped", "a run is in progress");
            return MediatorResponse.successful(Json.object().put("skipped", "an import run is in progress"));
        }
        try {
            return run(tx);
        } finally {
            running.unlock();
        }
    }

    /** What one feed did in a run. */
    private static final class Tally {
        int pages, created, updated, echoes, withoutCase;
        ImportMarker before, after;
    }

    private MediatorResponse run(TransactionContext tx) {
        Set<String> ourUsers = Set.of(settings.get("import.skipUpdatedBy", settings.get("dhis2.user", "")).split("\\s*,\\s*"));
        // tracked entities first, so the cases their events update exist
        Tally tes = drain(tx, FEED, "trackedEntities", "trackedEntity", mapping.query(), ourUsers, (te, newCases) -> caseBlock(te, newCases));
        Tally evs = mapping.events() == null ? null
                : drain(tx, EVENT_FEED, "events", "event", mapping.events().query(mapping), ourUsers, (ev, newCases) -> eventBlock(ev));
        tx.property("import.pages", tes.pages + (evs == null ? 0 : evs.pages));
        tx.property("import.created", tes.created);
        tx.property("import.updated", tes.updated);
        tx.property("import.echoesSkipped", tes.echoes + (evs == null ? 0 : evs.echoes));
        tx.property("import.marker", tes.after.updatedAfter() == null ? "(start)" : tes.after.updatedAfter());
        ObjectNode body = Json.object();
        body.put("pages", tes.pages).put("casesCreated", tes.created).put("casesUpdated", tes.updated).put("echoesSkipped", tes.echoes);
        body.set("markerBefore", Json.parse(tes.before.toJson()));
        body.set("markerAfter", Json.parse(tes.after.toJson()));
        if (evs != null) {
            tx.property("import.events", evs.updated);
            tx.property("import.eventsWithoutCase", evs.withoutCase);
            ObjectNode e = body.putObject("events");
            e.put("pages", evs.pages).put("casesUpdated", evs.updated).put("echoesSkipped", evs.echoes).put("withoutCase", evs.withoutCase);
            e.set("markerAfter", Json.parse(evs.after.toJson()));
        }
        return MediatorResponse.successful(body);
    }

    /** Builds the case block of one changed item, or null when it has no case to go to; may note a new case (uid -> case id). */
    private interface ToCase {
        CaseBlock block(JsonNode item, Map<String, String> newCases);
    }

    /** Reads one export from its marker to the end (or import.maxPagesPerRun pages), one form submission per page. */
    private Tally drain(TransactionContext tx, String feed, String resource, String idField, Map<String, String> filters, Set<String> ourUsers,
                        ToCase toCase) {
        int pageSize = Math.max(1, settings.getInt("import.pageSize", 50));
        int maxPages = Math.max(1, settings.getInt("import.maxPagesPerRun", 100));
        Tally t = new Tally();
        ImportMarker marker = ImportMarker.parse(store.feedMarkers().get(feed).orElse(null));
        t.before = marker;
        boolean more = true;
        while (more && t.pages < maxPages) {
            Map<String, String> query = new LinkedHashMap<>(filters);
            // 2.41 deprecated orgUnit for orgUnits (and refuses both); orgUnit works from 2.36 on
            String ouParam = settings.get("import.orgUnitParam", "orgUnit");
            if (!ouParam.equals("orgUnit") && query.containsKey("orgUnit")) query.put(ouParam, query.remove("orgUnit"));
            if (marker.updatedAfter() != null) query.put("updatedAfter", marker.updatedAfter());
            TrackerPage page = dhis2.exportPage(tx, resource + " changed since " + (marker.updatedAfter() == null ? "the start" : marker.updatedAfter())
                    + " page " + marker.page(), resource, query, marker.page(), pageSize);
            t.pages++;
            List<JsonNode> items = page.items();
            ImportMarker current = marker;
            List<JsonNode> fresh = items.stream().filter(n -> !current.handled(n.path(idField).asText(), n.path("updatedAt").asText())).toList();
            FormSubmission form = new FormSubmission(XMLNS, instanceId(resource, idField, fresh)).name("DHIS2 import").deviceId("dhis2-import");
            Map<String, String> newCases = new LinkedHashMap<>();
            for (JsonNode item : fresh) {
                if (ourUsers.contains(item.path("updatedBy").path("username").asText("\u0000"))) {
                    t.echoes++;
                    continue;
                }
                CaseBlock block = toCase.block(item, newCases);
                if (block == null) {
                    t.withoutCase++;
                    continue;
                }
                if (block.creates()) t.created++;
                else t.updated++;
                form.addCase(block);
            }
            if (!form.cases().isEmpty()) commcare.submit(tx, form);
            ImportMarker next = marker.after(items, idField, pageSize);
            store.inTransaction(c -> {
                for (var e : newCases.entrySet()) store.idMap().put(c, CASE_NAMESPACE, e.getKey(), e.getValue());
                store.feedMarkers().advance(c, feed, next.toJson());
                return null;
            });
            // a short page is the end; a full page of known items goes on only if the marker stepped to the next page
            more = items.size() >= pageSize && (!fresh.isEmpty() || !next.equals(marker));
            marker = next;
        }
        t.after = marker;
        return t;
    }

    /** The CommCare case of a tracked entity: the one it came from, the one imported before, or none. */
    private String knownCase(String trackedEntity) {
        return store.idMap().source(TrackerEndpoint.ID_NAMESPACE, trackedEntity)
                .or(() -> store.idMap().target(CASE_NAMESPACE, trackedEntity)).orElse(null);
    }

    /** An event's data values onto its tracked entity's case; null when that entity was never imported (outside the scope). */
    private CaseBlock eventBlock(JsonNode ev) {
        String caseId = knownCase(ev.path("trackedEntity").asText());
        if (caseId == null) return null;
        Map<String, String> values = new LinkedHashMap<>();
        ev.path("dataValues").forEach(d -> values.put(d.path("dataElement").asText(), d.path("value").asText()));
        CaseBlock block = CaseBlock.of(caseId);
        mapping.events().dataValues().forEach((de, prop) -> {
            if (values.containsKey(de)) block.set(prop, values.get(de));
        });
        block.set("dhis2_last_event", ev.path("event").asText());
        block.set("dhis2_last_event_date", ev.path("occurredAt").asText());
        return block;
    }

    private CaseBlock caseBlock(JsonNode te, Map<String, String> newCases) {
        String uid = te.path("trackedEntity").asText();
        // a tracked entity that came from CommCare (pushed by /dhis2/tracker) updates its own case
        String caseId = knownCase(uid);
        boolean known = caseId != null;
        if (caseId == null) caseId = UUID.nameUUIDFromBytes(("dhis2:trackedEntity:" + uid).getBytes(StandardCharsets.UTF_8)).toString();
        Map<String, String> attrs = new LinkedHashMap<>();
        te.path("attributes").forEach(a -> attrs.put(a.path("attribute").asText(), a.path("value").asText()));
        CaseBlock block = CaseBlock.of(caseId);
        if (!known) {
            List<String> parts = new ArrayList<>();
            for (String a : mapping.caseName()) if (attrs.containsKey(a)) parts.add(attrs.get(a));
            block.create(mapping.caseType(), parts.isEmpty() ? uid : String.join(" ", parts), mapping.ownerId());
            newCases.put(uid, caseId);
        }
        block.externalId(uid);
        mapping.properties().forEach((attr, prop) -> {
            if (attrs.containsKey(attr)) block.set(prop, attrs.get(attr));
        });
        block.set("dhis2_org_unit", te.path("orgUnit").asText());
        block.set("dhis2_updated_at", te.path("updatedAt").asText());
        return block;
    }

    /** Same page content, same instanceID: HQ takes a resubmission of a page as the duplicate it is. */
    private static String instanceId(String resource, String idField, List<JsonNode> items) {
        StringBuilder sb = new StringBuilder("dhis2-import:" + resource);
        for (JsonNode n : items) sb.append('|').append(n.path(idField).asText()).append('@').append(n.path("updatedAt").asText());
        return UUID.nameUUIDFromBytes(sb.toString().getBytes(StandardCharsets.UTF_8)).toString();
    }
}
