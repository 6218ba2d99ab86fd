package org.chis.mediator.referral;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.http.BadInputException;
import org.chis.common.openhim.MediatorRequest;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorStatus;
import org.chis.common.audit.TransactionContext;
import org.chis.common.store.StateStore;
import org.chis.common.systems.fhir.FhirBundle;
import org.chis.common.systems.fhir.FhirClient;
import org.chis.common.systems.fhir.FhirResource;

/**
 * {@code GET /referrals/sync}, run by core's polling channel: (1) Task changes made directly on the FHIR server,
 * found with {@code _lastUpdated=ge<marker>}, are checked against the state machine and recorded (illegal ones are
 * recorded as refused and not passed on); (2) open referrals past their window expire (failed / "expired");
 * (3) statuses not yet pushed back to the community app are pushed. One sync at a time per mediator process.
 */
final class StatusSync {
    static final String FEED = "fhir-task-status";
    private static final int MAX_PAGES = 100;

    private final FhirClient fhir;
    private final StateStore store;
    private final ReferralRecords records;
    private final StatusChanges changes;
    private final Supplier<ReferralConfig> config;
    private final Clock clock;

    StatusSync(FhirClient fhir, StateStore store, ReferralRecords records, StatusChanges changes, Settings settings, Clock clock) {
        this.fhir = fhir;
        this.store = store;
        this.records = records;
        this.changes = changes;
        this.config = ReferralConfig.live(settings);
        this.clock = clock;
    }

    MediatorResponse handle(MediatorRequest req, TransactionContext tx) {
        ObjectNode report = run(tx);
        boolean errors = report.path("pushErrors").asInt() > 0 || report.path("expiryErrors").asInt() > 0;
        tx.property("sync.seen", report.path("tasksSeen").asInt()).property("sync.expired", report.path("expired").asInt())
                .property("sync.pushed", report.path("pushed").asInt());
        return MediatorResponse.json(errors ? MediatorStatus.COMPLETED_WITH_ERRORS : MediatorStatus.SUCCESSFUL, 200, report);
    }

    synchronized ObjectNode run(TransactionContext tx) {
        ObjectNode report = Json.object();
        ReferralConfig c = config.get();
        if (c.fhir()) poll(tx, c, report);
        expire(tx, report);
        push(tx, report);
        return report;
    }

    private void poll(TransactionContext tx, ReferralConfig c, ObjectNode report) {
        Optional<String> marker = store.feedMarkers().get(FEED);
        List<Map.Entry<String, String>> params = new ArrayList<>();
        params.add(Map.entry("identifier", c.referralSystem() + "|"));
        marker.ifPresent(m -> params.add(Map.entry("_lastUpdated", "ge" + m)));
        params.add(Map.entry("_sort", "_lastUpdated"));
        params.add(Map.entry("_count", "100"));
        int seen = 0, recorded = 0, refused = 0;
        FhirBundle page = fhir.search(tx, "Task", params);
        for (int n = 0; n < MAX_PAGES && page != null; n++) {
            for (FhirResource task : page.resources()) {
                seen++;
                String outcome = observe(tx, c, task);
                if (outcome.equals("recorded")) recorded++;
                if (outcome.equals("refused")) refused++;
                Instant at = task.lastUpdated();
                if (at != null) {
                    store.inTransaction(conn -> {
                        store.feedMarkers().advance(conn, FEED, ReferralResources.instant(at));
                        return null;
                    });
                }
            }
            page = fhir.next(tx, page).orElse(null);
        }
        report.put("tasksSeen", seen).put("changesRecorded", recorded).put("changesRefused", refused);
    }

    /** One Task from the poll: ours? changed since we last saw it? a legal move? */
    private String observe(TransactionContext tx, ReferralConfig c, FhirResource task) {
        String id = task.identifier(c.referralSystem());
        Optional<ReferralRecord> found = id == null ? Optional.empty() : records.find(id);
        if (found.isEmpty()) return "unknown";
        ReferralRecord r = found.get();
        if (task.versionId() != null && task.versionId().equals(r.taskVersion())) return "unchanged"; // our own write, or seen before
        Optional<TaskStatus> status = TaskStatus.of(task.text("status"));
        String business = ReferralResources.businessStatusOf(task.json());
        if (status.isEmpty() || status.get() == r.status()) {
            records.taskVersion(r.referralId(), task.versionId());
            return "unchanged";
        }
        if (!r.status().canMoveTo(status.get())) {
            records.refused(r, status.get().code(), task.versionId(), "changed on the FHIR server: " + r.status().refusal(status.get()));
            return "refused";
        }
        records.transition(r, status.get(), business, task.versionId(), "fhir-server", "poll", null);
        return "recorded";
    }

    private void expire(TransactionContext tx, ObjectNode report) {
        int expired = 0, skipped = 0, errors = 0;
        for (ReferralRecord r : records.expired(clock.instant())) {
            if (r.taskId() == null) continue;
            try {
                changes.change(tx, r, TaskStatus.FAILED, "expired", "not attended within the referral window (until " + r.expiresAt() + ")",
                        "expiry", "expiry", null);
                expired++;
            } catch (BadInputException e) {
                // moved meanwhile (e.g. the facility opened it): not an error, the next sync sees the new state
                skipped++;
            } catch (RuntimeException e) {
                errors++;
            }
        }
        report.put("expired", expired).put("expirySkipped", skipped).put("expiryErrors", errors);
    }

    private void push(TransactionContext tx, ObjectNode report) {
        int pushed = 0, errors = 0;
        for (ReferralRecord r : records.pushPending()) {
            StatusChanges.Result res = changes.pushBack(tx, r, false, r.status(), r.taskVersion());
            if (res.pushError() == null) pushed++;
            else errors++;
        }
        report.put("pushed", pushed).put("pushErrors", errors);
    }
}
