package org.chis.mediator.commcareopenmrs.feeds;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.chis.common.json.Json;
import org.chis.common.store.FailedEvent;
import org.chis.common.store.Ledger;
import org.chis.common.store.StateStore;
import org.chis.common.systems.openmrs.FeedEntry;

/**
 * What the state store knows of one target's feed entries: applied (a SUCCEEDED ledger record
 * {@code openmrs-feed:<prefix><entry id>} saying what it did), parked (a {@code failed_event} row, its record FAILED,
 * retried when due) or released (FAILED "not done in this poll": read again by the next poll); and the feed's marker,
 * which moves in the same transaction as the records of the entries it passes.
 */
final class FeedLedger {
    /** An applied entry whose record is to be written. */
    record Applied(String entryId, FeedTarget.Applied what) {}

    /** An entry to park: under its patient ({@code subject}), retried from {@code due} on. */
    record Parked(FeedEntry entry, String subject, String error, Instant due) {}

    private static final String KIND = "feed-entry";

    private final StateStore store;
    private final String statePrefix;
    private final FeedLimits limits;
    private final Clock clock;

    FeedLedger(StateStore store, String statePrefix, FeedLimits limits, Clock clock) {
        this.store = store;
        this.statePrefix = statePrefix;
        this.limits = limits;
        this.clock = clock;
    }

    private String key(String entryId) { return "openmrs-feed:" + statePrefix + entryId; }

    /**
     * Claims an entry. Polls run one at a time (the lock row) and finish every claim they take, so a claim found
     * still in progress was left by a poll whose process died mid-entry (kill -9): it is taken over at once, not after
     * its lease (feeds.leaseSeconds), which would fail every poll until then. Re-applying it is safe (deterministic
     * case id and instanceID; a change HQ already has is "unchanged").
     */
    Ledger.Claim claim(String entryId) { return claim(store, key(entryId), limits.lease()); }

    /** The same for any key a single runner owns (the feed's entries, a cohort import's patients). */
    static Ledger.Claim claim(StateStore store, String key, Duration lease) {
        Ledger.Claim claim = store.ledger().claim(key, KIND, lease);
        if (claim.result() == Ledger.ClaimResult.IN_PROGRESS && store.ledger().release(key, claim.attempts())) {
            claim = store.ledger().claim(key, KIND, lease);
        }
        return claim;
    }

    /**
     * True when the entry has a SUCCEEDED record (applied before: past the marker before a crash, or by an operator's
     * retry). New entries are read, not claimed: one poll runs at a time and an entry without a SUCCEEDED record is
     * applied again after a crash anyway (a dead claim was taken over at once), so a claim was a commit for nothing.
     */
    boolean applied(String entryId) {
        return store.ledger().find(key(entryId)).map(e -> e.status() == Ledger.Status.SUCCEEDED).orElse(false);
    }

    /**
     * One transaction: the records of {@code applied} with what the target keeps of them ({@link FeedTarget#keep}),
     * the {@code parked} entries, and the marker ({@code to}, null = stays).
     */
    void commit(String feed, FeedTarget target, List<Applied> applied, List<Parked> parked, FeedMarker to) {
        store.inTransaction(c -> {
            for (Applied a : applied) {
                store.ledger().record(c, key(a.entryId()), KIND, Ledger.Status.SUCCEEDED, outcome(a.what()));
                target.keep(c, a.what());
            }
            for (Parked p : parked) {
                store.ledger().record(c, key(p.entry().id()), KIND, Ledger.Status.FAILED, error(p.error()));
                store.failedEvents().record(c, feed, p.entry().id(), p.subject(), ParkedEntry.write(p.entry()), p.error(), p.due());
            }
            if (to != null) store.feedMarkers().advance(c, feed, to.toJson());
            return null;
        });
    }

    /** A parked entry applied on retry: its record, and it is no longer parked. */
    void resolved(String feed, String entryId, FeedTarget target, FeedTarget.Applied what) {
        store.inTransaction(c -> {
            store.ledger().succeed(c, key(entryId), outcome(what));
            target.keep(c, what);
            store.failedEvents().resolve(c, feed, entryId);
            return null;
        });
    }

    /** A parked entry whose record says it was applied (e.g. by an operator's retry): no longer parked. */
    void resolvedBefore(String feed, String entryId) {
        store.failedEvents().resolve(feed, entryId);
    }

    /** A parked entry that failed again: parked on, next attempt after the back-off. */
    void failedAgain(String feed, FailedEvent ev, Throwable e) {
        Instant next = clock.instant().plus(backoff(ev.attempts()));
        store.inTransaction(c -> {
            store.ledger().fail(c, key(ev.entryId()), error(describe(e)));
            store.failedEvents().record(c, feed, ev.entryId(), ev.subject(), ev.payload(), describe(e), next);
            return null;
        });
    }

    /** When a newly failed entry is first retried. */
    Instant firstRetry() { return clock.instant().plus(limits.retryBase()); }

    /** An entry waiting behind its patient's parked entry is due at once: it goes as soon as that one is applied. */
    Instant now() { return clock.instant(); }

    /** x3 per attempt from retryBase, at most retryMax (HQ's repeat-record curve). */
    Duration backoff(int attempts) {
        Duration d = limits.retryBase();
        for (int i = 1; i < attempts && d.compareTo(limits.retryMax()) < 0; i++) d = d.multipliedBy(3);
        return d.compareTo(limits.retryMax()) > 0 ? limits.retryMax() : d;
    }

    static String describe(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + (m.length() > 500 ? m.substring(0, 500) + "..." : m));
    }

    static String outcome(FeedTarget.Applied a) {
        return Json.write(Json.object().put("result", a.result().name()).put("patient", a.subject()).put("case", a.caseId()).put("detail", a.detail()));
    }

    private static String error(String message) {
        return Json.write(Json.object().put("error", message));
    }
}
