package org.chis.mediator.commcareopenmrs.feeds;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.chis.common.audit.TransactionContext;
import org.chis.common.http.UpstreamException;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorRequest;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorStatus;
import org.chis.common.store.Ledger;
import org.chis.common.store.StateStore;
import org.chis.common.systems.openmrs.FeedEntry;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.chis.common.work.OneAtATime;

/**
 * The initial load of an existing OpenMRS cohort into CommCare ({@code POST /openmrs/feeds/import?cohort=<uuid>}): the
 * atom feed only shows what changes from now on. Walks the cohort's memberships page by page and writes each current
 * member through the feed's own target (same cohort filter, owner, update-only, case id and id map), so a member the
 * feed writes later, or a second import, finds the case instead of making another.
 * <ul>
 * <li>Position: the index of the next membership, in {@code feed_marker} row {@code openmrs-import:<cohort>}, moved in
 * the same transaction as each patient's ledger record ({@code openmrs-import:<patient uuid>}). A run that stops
 * (OpenMRS or CommCare down, the process killed, the time budget used) is continued by the next run from there; a
 * patient already in the ledger is not written again.</li>
 * <li>A patient whose location has no CommCare owner is listed in {@code failed} and passed (the import goes on);
 * {@code restart=true} walks the cohort from the start again and retries those (the ledger skips the others).</li>
 * <li>One run at a time per cohort (a lock row, also across replicas); each run is bounded by
 * {@code feeds.import.maxSeconds} and answers {@code more: true} when the cohort is not finished.</li>
 * </ul>
 */
public final class BulkImport {
    public static final String PATH = "/openmrs/feeds/import";
    private static final Pattern UUID = Pattern.compile("[0-9A-Za-z-]{8,64}");

    /** Run limits: members per OpenMRS page, time per run, the cohort when the request names none, entry claim lease. */
    record Limits(int pageSize, Duration maxRun, String defaultCohort, Duration lease) {}

    /** Where a cohort's import stands: the next membership index, and whether the last run reached the end. */
    record Position(int next, boolean done) {
        static Position parse(String json) {
            if (json == null) return new Position(0, false);
            JsonNode j = Json.parse(json);
            return new Position(j.path("next").asInt(0), j.path("done").asBoolean(false));
        }

        String toJson() { return Json.write(Json.object().put("next", next).put("done", done)); }
    }

    private final OpenMrsClient openmrs;
    private final FeedTarget target;
    private final StateStore store;
    private final Limits limits;
    private final Clock clock;
    private final OneAtATime oneAtATime;

    BulkImport(OpenMrsClient openmrs, FeedTarget target, StateStore store, Limits limits, Clock clock) {
        this.openmrs = openmrs;
        this.target = target;
        this.store = store;
        this.limits = limits;
        this.clock = clock;
        this.oneAtATime = new OneAtATime(store);
    }

    static String marker(String cohort) { return "openmrs-import:" + cohort; }

    static String ledgerKey(String patient) { return "openmrs-import:" + patient; }

    /**
     * GET answers where the import stands; POST runs it (until done or the time budget is used). The cohort and
     * {@code restart} come from the query or the JSON body ({@code {"cohort": "<uuid>", "restart": false}}): core's
     * console reruns only a POST that had a body.
     */
    public MediatorResponse handle(MediatorRequest req, TransactionContext tx) {
        String cohort = req.query().get("cohort");
        boolean restart = "true".equalsIgnoreCase(req.query().get("restart"));
        if (req.method().equals("POST") && req.body() != null && !req.body().isBlank()) {
            JsonNode b = req.json();
            if (!b.isObject()) return MediatorResponse.rejected(400, "the body must be a JSON object: {\"cohort\": \"<cohort uuid>\", \"restart\": false}");
            if (cohort == null && b.hasNonNull("cohort")) cohort = b.get("cohort").asText();
            restart = restart || b.path("restart").asBoolean(false);
        }
        if (cohort == null) cohort = limits.defaultCohort();
        if (cohort == null || cohort.isBlank()) {
            return MediatorResponse.rejected(400, "name the OpenMRS cohort to import: ?cohort=<cohort uuid> (or set feeds.import.cohort)");
        }
        if (!UUID.matcher(cohort).matches()) return MediatorResponse.rejected(400, "cohort '" + cohort + "' is not a uuid");
        if (req.method().equals("GET")) {
            Position p = Position.parse(store.feedMarkers().get(marker(cohort)).orElse(null));
            return MediatorResponse.completed(Json.object().put("cohort", cohort).put("next", p.next()).put("done", p.done()));
        }
        String id = cohort;
        boolean fromStart = restart;
        return oneAtATime.run("openmrs-import/" + id, () -> run(tx, id, fromStart)).orElseGet(() -> busy(id));
    }

    private static MediatorResponse busy(String cohort) {
        return MediatorResponse.completed(Json.object().put("cohort", cohort).put("busy", true)
                .put("message", "an import of this cohort is running; this request did nothing"));
    }

    private MediatorResponse run(TransactionContext tx, String cohort, boolean restart) {
        Position at = restart ? new Position(0, false) : Position.parse(store.feedMarkers().get(marker(cohort)).orElse(null));
        ObjectNode body = Json.object().put("cohort", cohort).put("from", at.next());
        ObjectNode counts = body.putObject("patients");
        for (String k : List.of("created", "updated", "unchanged", "skipped", "echo", "gone", "alreadyImported", "notCurrent")) counts.put(k, 0);
        ArrayNode failed = body.putArray("failed");
        ArrayNode skipped = body.putArray("skippedPatients");
        Instant deadline = clock.instant().plus(limits.maxRun());
        LocalDate today = LocalDate.now(clock.withZone(ZoneOffset.UTC));
        int next = at.next();
        boolean done = false;
        try {
            while (!done && clock.instant().isBefore(deadline)) {
                List<JsonNode> page = Cohort.membershipPage(tx, openmrs, cohort, next, limits.pageSize());
                int taken = 0;
                for (JsonNode membership : page) {
                    importMember(tx, membership, today, next + 1, cohort, counts, failed, skipped);
                    next++;
                    taken++;
                    if (!clock.instant().isBefore(deadline)) break;
                }
                // a short page is the last one (OpenMRS pages are full up to the end)
                done = taken == page.size() && page.size() < limits.pageSize();
            }
        } catch (UpstreamException e) {
            if (e.status() == 404 && e.getMessage().startsWith("OpenMRS has no cohort")) return MediatorResponse.rejected(404, e.getMessage());
            body.put("next", next).put("done", false).put("more", true);
            String error = e.getMessage() + "; the import stopped at member " + next + ", the next run goes on from there";
            body.put("error", error);
            tx.property("imported", counts.path("created").asInt());
            return MediatorResponse.failed(e.answerStatus(), body, error);
        }
        Position end = new Position(next, done);
        store.inTransaction(c -> {
            store.feedMarkers().advance(c, marker(cohort), end.toJson());
            return null;
        });
        body.put("next", next).put("done", done).put("more", !done);
        int written = counts.path("created").asInt() + counts.path("updated").asInt();
        tx.property("imported", counts.path("created").asInt()).property("failed", failed.size());
        if (!failed.isEmpty()) return MediatorResponse.json(MediatorStatus.COMPLETED_WITH_ERRORS, 200, body);
        return written > 0 ? MediatorResponse.successful(body) : MediatorResponse.completed(body);
    }

    /** One membership: written through the feed target, its ledger record and the position moved in one transaction. */
    private void importMember(TransactionContext tx, JsonNode membership, LocalDate today, int nextPosition, String cohort, ObjectNode counts,
                              ArrayNode failed, ArrayNode skipped) {
        String patient = membership.path("patientUuid").asText("");
        Position after = new Position(nextPosition, false);
        if (patient.isBlank() || !Cohort.current(membership, today)) {
            count(counts, "notCurrent");
            advance(cohort, after, null, null, false);
            return;
        }
        String key = ledgerKey(patient);
        Ledger.Claim claim = FeedLedger.claim(store, key, limits.lease());
        if (claim.result() == Ledger.ClaimResult.DONE) {
            count(counts, "alreadyImported");
            advance(cohort, after, null, null, false);
            return;
        }
        if (claim.result() == Ledger.ClaimResult.IN_PROGRESS) {
            throw new UpstreamException("patient " + patient + " is being written by another worker", 503);
        }
        Instant now = clock.instant();
        // the patient as a feed entry of its own: the target reads it, checks the cohort, finds or creates the case
        FeedEntry entry = new FeedEntry(key, "Patient", List.of(), now, now, "/ws/rest/v1/patient/" + patient + "?v=full");
        FeedTarget.Applied applied;
        try {
            applied = target.apply(tx, "import", entry, null, new AtomicReference<>(), null);
        } catch (CaseOwner.Unmapped e) {
            failed.addObject().put("patient", patient).put("error", e.getMessage());
            advance(cohort, after, key, Json.write(Json.object().put("error", e.getMessage())), false);
            return;
        } catch (RuntimeException e) {
            store.ledger().fail(key, Json.write(Json.object().put("error", FeedLedger.describe(e))));
            throw e instanceof UpstreamException u ? u : new UpstreamException(FeedLedger.describe(e), 0, e);
        }
        count(counts, applied.result().name().toLowerCase(Locale.ROOT));
        if (applied.result() == FeedTarget.Result.SKIPPED && skipped.size() < 50) {
            skipped.addObject().put("patient", patient).put("reason", applied.detail());
        }
        advance(cohort, after, key, FeedLedger.outcome(applied), true, applied);
    }

    private void advance(String cohort, Position to, String key, String outcome, boolean succeeded) {
        advance(cohort, to, key, outcome, succeeded, null);
    }

    /** {@code applied}: what the target keeps of it ({@link FeedTarget#keep}) is written in the same transaction. */
    private void advance(String cohort, Position to, String key, String outcome, boolean succeeded, FeedTarget.Applied applied) {
        store.inTransaction(c -> {
            if (applied != null) target.keep(c, applied);
            if (key != null && succeeded) store.ledger().succeed(c, key, outcome);
            else if (key != null) store.ledger().fail(c, key, outcome);
            store.feedMarkers().advance(c, marker(cohort), to.toJson());
            return null;
        });
    }

    private static void count(ObjectNode counts, String what) { counts.put(what, counts.path(what).asInt(0) + 1); }
}
