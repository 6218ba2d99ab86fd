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
import java.util.function.Supplier;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorRequest;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.TransactionContext;
import org.chis.common.store.StateStore;
import org.chis.common.systems.commcare.CaseBlock;
import org.chis.common.systems.commcare.CommCareClient;
import org.chis.common.systems.commcare.FormSubmission;
import org.chis.common.systems.dhis2.Dhis2Client;
import org.chis.common.systems.dhis2.TrackerPage;

/**
 * {@code GET /dhis2/import} (an OpenHIM polling channel): tracked entities changed in DHIS2 since the stored
 * marker become CommCare case creates/updates, one form submission per export page. The marker moves only after
 * a page's submission succeeded, in the same database transaction as the id map, so a failure on page n leaves it
 * at the end of page n-1 and the next poll starts there: no page is ever skipped. Entities last changed by our own
 * DHIS2 user (what {@code /dhis2/tracker} pushed) are not sent back to CommCare (echo suppression).
 */
final class TrackedEntityImport {
    static final String FEED = "dhis2:trackedEntities";
    static final String CASE_NAMESPACE = "commcare.case"; // tracked entity UID -> CommCare case id
    static final String XMLNS = "http://chis.org/dhis2-integration";

    private final Dhis2Client dhis2;
    private final Supplier<CommCareClient> commcare;
    private final StateStore store;
    private final Settings settings;
    private final ImportMapping mapping;
    private final ReentrantLock running = new ReentrantLock();

    TrackedEntityImport(Dhis2Client dhis2, Supplier<CommCareClient> commcare, StateStore store, Settings settings, ImportMapping mapping) {
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

    private MediatorResponse run(TransactionContext tx) {
        int pageSize = Math.max(1, settings.getInt("import.pageSize", 50));
        int maxPages = Math.max(1, settings.getInt("import.maxPagesPerRun", 100));
        Set<String> ourUsers = Set.of(settings.get("import.skipUpdatedBy", settings.get("dhis2.user", "")).split("\\s*,\\s*"));
        ImportMarker marker = ImportMarker.parse(store.feedMarkers().get(FEED).orElse(null));
        String startedAt = marker.toJson();
        int pages = 0, created = 0, updated = 0, echoes = 0;
        boolean more = true;
        while (more && pages < maxPages) {
            Map<String, String> query = new LinkedHashMap<>(mapping.query());
            if (marker.updatedAfter() != null) query.put("updatedAfter", marker.updatedAfter());
            TrackerPage page = dhis2.exportPage(tx, "DHIS2 tracked entities changed since " + (marker.updatedAfter() == null ? "the start" : marker.updatedAfter())
                    + " page " + marker.page(), "trackedEntities", query, marker.page(), pageSize);
            pages++;
            List<JsonNode> items = page.items();
            ImportMarker current = marker;
            List<JsonNode> fresh = items.stream().filter(n -> !current.handled(n.path("trackedEntity").asText(), n.path("updatedAt").asText())).toList();
            FormSubmission form = new FormSubmission(XMLNS, instanceId(fresh)).name("DHIS2 import").deviceId("dhis2-import");
            Map<String, String> newCases = new LinkedHashMap<>();
            for (JsonNode te : fresh) {
                String uid = te.path("trackedEntity").asText();
                if (ourUsers.contains(te.path("updatedBy").path("username").asText("\u0000"))) {
                    echoes++;
                    continue;
                }
                CaseBlock block = caseBlock(te, uid, newCases);
                if (block.creates()) created++;
                else updated++;
                form.addCase(block);
            }
            if (!form.cases().isEmpty()) commcare.get().submit(tx, form);
            ImportMarker next = marker.after(items, "trackedEntity", pageSize);
            store.inTransaction(c -> {
                for (var e : newCases.entrySet()) store.idMap().put(c, CASE_NAMESPACE, e.getKey(), e.getValue());
                store.feedMarkers().advance(c, FEED, next.toJson());
                return null;
            });
            // a short page is the end; a full page of known items goes on only if the marker stepped to the next page
            more = items.size() >= pageSize && (!fresh.isEmpty() || !next.equals(marker));
            marker = next;
        }
        tx.property("import.pages", pages);
        tx.property("import.created", created);
        tx.property("import.updated", updated);
        tx.property("import.echoesSkipped", echoes);
        tx.property("import.marker", marker.updatedAfter() == null ? "(start)" : marker.updatedAfter());
        ObjectNode body = Json.object();
        body.put("pages", pages).put("casesCreated", created).put("casesUpdated", updated).put("echoesSkipped", echoes)
                .put("caughtUp", !more);
        body.set("markerBefore", Json.parse(startedAt));
        body.set("markerAfter", Json.parse(marker.toJson()));
        return MediatorResponse.successful(body);
    }

    private CaseBlock caseBlock(JsonNode te, String uid, Map<String, String> newCases) {
        // a tracked entity that came from CommCare (pushed by /dhis2/tracker) updates its own case
        String caseId = store.idMap().source(TrackerEndpoint.ID_NAMESPACE, uid).orElse(null);
        boolean known = caseId != null;
        if (caseId == null) {
            caseId = store.idMap().target(CASE_NAMESPACE, uid).orElse(null);
            known = caseId != null;
        }
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
    private static String instanceId(List<JsonNode> items) {
        StringBuilder sb = new StringBuilder("dhis2-import");
        for (JsonNode n : items) sb.append('|').append(n.path("trackedEntity").asText()).append('@').append(n.path("updatedAt").asText());
        return UUID.nameUUIDFromBytes(sb.toString().getBytes(StandardCharsets.UTF_8)).toString();
    }
}
