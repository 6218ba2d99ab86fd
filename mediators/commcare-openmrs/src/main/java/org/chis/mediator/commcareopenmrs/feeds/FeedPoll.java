package org.chis.mediator.commcareopenmrs.feeds;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.chis.common.http.UpstreamException;
import org.chis.common.json.Json;
import org.chis.common.audit.TransactionContext;
import org.chis.common.store.FailedEvent;
import org.chis.common.store.FailedEvents;
import org.chis.common.store.FeedMarkers;
import org.chis.common.store.Ledger;
import org.chis.common.store.StateStore;
import org.chis.common.systems.openmrs.AtomFeedReader;
import org.chis.common.systems.openmrs.FeedEntry;
import org.chis.common.systems.openmrs.FeedPage;

/**
 * One bounded batch over the OpenMRS feeds (patient first, then encounter), shaped after the ICT4H atomfeed client:
 * <ol>
 * <li>parked entries that are due are retried, oldest first, each only when no older parked entry of the same
 * patient remains (per-patient order);</li>
 * <li>new entries are read from the stored marker on: each is applied, then its ledger record and the marker
 * advance are committed in one transaction. A failing entry is parked in {@code failed_event} with a back-off, in
 * that same transaction, and the feed goes on with other patients; later entries of its patient are parked behind
 * it;</li>
 * <li>when a feed holds {@code maxFailedEvents} parked entries it stops taking new ones (circuit breaker) and the
 * poll answers Failed, so a systematic fault halts the feed loudly instead of parking thousands of entries.</li>
 * </ol>
 * One poll runs at a time across replicas (a lock row in the state store).
 */
final class FeedPoll {
    static final String LOCK = "openmrs-feeds/poll";

    /** Settings of the batch: size, breaker cap, retry back-off, where a feed without a marker starts. */
    record Limits(int batchSize, int maxFailedEvents, Duration retryBase, Duration retryMax, boolean startAtBeginning, Duration lease) {}

    private final AtomFeedReader reader;
    private final FeedTarget applier;
    private final StateStore store;
    private final List<String> feeds;
    private final Limits limits;
    private final Clock clock;
    private final int readAheadPages;
    private final int parallelism;
    private final ExecutorService lanePool;
    private final ExecutorService readPool;
    private final ExecutorService pagePool;

    /**
     * @param parallelism    patients applied at the same time (lanes), and OpenMRS resources read ahead at a time; 1 = one entry after the other
     * @param readAheadPages feed pages read ahead in parallel; 1 = follow the links one page at a time
     */
    FeedPoll(AtomFeedReader reader, FeedTarget applier, StateStore store, List<String> feeds, Limits limits, Clock clock,
             int parallelism, int readAheadPages) {
        this.reader = reader;
        this.applier = applier;
        this.store = store;
        this.feeds = List.copyOf(feeds);
        this.limits = limits;
        this.clock = clock;
        this.readAheadPages = readAheadPages;
        this.parallelism = parallelism;
        this.lanePool = pool("feed-lane", parallelism);
        this.readPool = pool("feed-read-ahead", parallelism);
        this.pagePool = pool("feed-page-ahead", Math.max(1, readAheadPages));
    }

    /** Daemon threads that go away when idle between polls. */
    private static ExecutorService pool(String name, int threads) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /** What one poll did; {@code stopped} names why a feed halted (breaker, lost marker), null when healthy. */
    static final class Report {
        final ObjectNode json = Json.object();
        int applied;
        int failed;
        String stopped;
        boolean busy;
        boolean more;

        synchronized ObjectNode feed(String name) {
            ObjectNode f = json.with("feeds").with(name);
            for (String k : List.of("read", "created", "updated", "unchanged", "echo", "gone", "failed", "waiting", "retried", "resolved")) {
                if (!f.has(k)) f.put(k, 0);
            }
            return f;
        }

        synchronized void failed() { failed++; }

        synchronized void applied() { applied++; }

        synchronized void count(String feed, String what) {
            ObjectNode f = feed(feed);
            f.put(what, f.get(what).asInt() + 1);
        }
    }

    Report run(TransactionContext tx) {
        Report report = new Report();
        boolean locked = store.inTransaction(c -> {
            if (!store.feedMarkers().tryLock(c, LOCK + (applier.statePrefix().isEmpty() ? "" : "/" + applier.statePrefix()))) return false;
            // the lock lives as long as this transaction: the whole batch runs inside it, on other connections
            int budget = limits.batchSize();
            for (String feed : feeds) {
                budget = feed(tx, feed, budget, report);
            }
            report.more = budget <= 0;
            return true;
        });
        report.busy = !locked;
        report.json.put("more", report.more);
        return report;
    }

    private int feed(TransactionContext tx, String category, int budget, Report report) {
        String feed = applier.statePrefix() + category; // marker, parked entries and report of this target
        report.feed(feed);
        budget = retryParked(tx, feed, budget, report);
        FailedEvents failed = store.failedEvents();
        if (failed.count(feed) >= limits.maxFailedEvents()) {
            breaker(feed, report);
            return budget;
        }
        FeedMarkers markers = store.feedMarkers();
        FeedMarker marker = FeedMarker.parse(markers.get(feed).orElse(null));
        FeedPage page;
        int start;
        if (marker == null || marker.pageUrl() == null) {
            FeedPage recent = reader.recent(tx, category);
            if (!limits.startAtBeginning()) {
                // "recent" start: no history replay, like HQ; everything published from now on is read
                int last = recent.entries().size();
                String lastId = last == 0 ? null : recent.entries().get(last - 1).id();
                FeedMarker begin = new FeedMarker(recent.viaUrl() != null ? recent.viaUrl() : recent.selfUrl(), lastId);
                store.inTransaction(c -> {
                    markers.advance(c, feed, begin.toJson());
                    return null;
                });
                report.feed(feed).put("marker", begin.toJson());
                return budget;
            }
            page = recent.prevArchive() == null ? recent : reader.page(tx, reader.pageUrl(category, 1));
            start = 0;
        } else {
            page = reader.page(tx, marker.pageUrl());
            if (marker.lastEntryId() == null) {
                start = 0;
            } else {
                int at = page.indexOf(marker.lastEntryId());
                if (at < 0) {
                    report.stopped = "feed " + feed + ": the last entry read (" + marker.lastEntryId() + ") is not on " + marker.pageUrl()
                            + " any more (was OpenMRS restored or its feed rebuilt?). Not skipping: fix the marker in feed_marker and poll again.";
                    report.feed(feed).put("stopped", report.stopped);
                    return budget;
                }
                start = at + 1;
            }
        }
        FeedBatch batch = new FeedBatch(feed, tx, store, applier, limits, clock, report, lanePool, readPool, 2 * parallelism,
                parkedSubjects(), failed.count(feed));
        try (FeedPages pages = new FeedPages(reader, tx, pagePool, category, readAheadPages)) {
            while (page != null && budget > 0 && !batch.stopped()) {
                String pageUrl = page.viaUrl() != null ? page.viaUrl() : page.selfUrl();
                List<FeedEntry> entries = page.entries();
                for (int i = start; i < entries.size() && budget > 0 && !batch.stopped(); i++) {
                    budget--;
                    batch.add(entries.get(i), new FeedMarker(pageUrl, entries.get(i).id()));
                }
                if (budget <= 0 || batch.stopped()) break;
                page = pages.next(page, budget);
                start = 0;
            }
        } finally {
            // every entry added is run to its end (applied, parked or released) before the poll goes on or fails
            if (batch.finish()) breaker(feed, report);
        }
        report.feed(feed).put("marker", markers.get(feed).orElse(null));
        return budget;
    }

    /** Patients with a parked entry in any feed: their later entries wait behind it (order per patient). */
    private Set<String> parkedSubjects() {
        Set<String> out = new HashSet<>();
        for (String f : feeds) for (FailedEvent ev : store.failedEvents().all(applier.statePrefix() + f)) if (ev.subject() != null) out.add(ev.subject());
        return out;
    }

    private void breaker(String feed, Report report) {
        List<FailedEvent> parked = store.failedEvents().all(feed);
        String oldest = parked.isEmpty() ? "" : " Oldest: entry " + parked.get(0).entryId() + " (" + parked.get(0).attempts()
                + " attempts): " + parked.get(0).lastError();
        report.stopped = "feed " + feed + " stopped: " + parked.size() + " entries are parked (cap feeds.maxFailedEvents="
                + limits.maxFailedEvents() + "); new entries are not read until they are applied." + oldest;
        report.feed(feed).put("stopped", report.stopped);
    }

    /** Retries due parked entries of one feed, in the order they were parked. */
    private int retryParked(TransactionContext tx, String feed, int budget, Report report) {
        FailedEvents failed = store.failedEvents();
        for (FailedEvent ev : failed.due(feed, clock.instant(), Math.max(0, budget))) {
            if (budget <= 0) break;
            if (blockedBefore(ev.subject(), ev.id())) continue;
            budget--;
            report.count(feed, "retried");
            String key = "openmrs-feed:" + applier.statePrefix() + ev.entryId();
            Ledger.Claim claim = claimEntry(store, key, limits.lease());
            if (claim.result() == Ledger.ClaimResult.IN_PROGRESS) continue;
            if (claim.result() == Ledger.ClaimResult.DONE) {
                failed.resolve(feed, ev.entryId());
                continue;
            }
            FeedEntry entry = ParkedEntry.read(ev.payload());
            AtomicReference<String> subject = new AtomicReference<>();
            try {
                EntryApplier.Applied a = applier.apply(tx, feed, entry, null, subject, null);
                store.inTransaction(c -> {
                    store.ledger().succeed(c, key, outcome(a));
                    failed.resolve(c, feed, ev.entryId());
                    return null;
                });
                tally(feed, a, report);
                report.count(feed, "resolved");
            } catch (RuntimeException e) {
                Instant next = clock.instant().plus(backoff(ev.attempts()));
                store.inTransaction(c -> {
                    store.ledger().fail(c, key, Json.write(Json.object().put("error", describe(e))));
                    failed.record(c, feed, ev.entryId(), ev.subject(), ev.payload(), describe(e), next);
                    return null;
                });
                report.failed();
            }
        }
        return budget;
    }

    private boolean blockedBefore(String subject, long id) {
        // failed_event ids are one sequence over all feeds, so "older" compares across feeds too
        for (String f : feeds) if (store.failedEvents().isBlockedBefore(applier.statePrefix() + f, subject, id)) return true;
        return false;
    }

    /** x3 per attempt from retryBase, at most retryMax (HQ's repeat-record curve). */
    Duration backoff(int attempts) {
        Duration d = limits.retryBase();
        for (int i = 1; i < attempts && d.compareTo(limits.retryMax()) < 0; i++) d = d.multipliedBy(3);
        return d.compareTo(limits.retryMax()) > 0 ? limits.retryMax() : d;
    }

    static void tally(String feed, EntryApplier.Applied a, Report report) {
        report.count(feed, a.result().name().toLowerCase(Locale.ROOT));
        if (a.result() == EntryApplier.Result.CREATED || a.result() == EntryApplier.Result.UPDATED) report.applied();
    }

    static String outcome(EntryApplier.Applied a) {
        return Json.write(Json.object().put("result", a.result().name()).put("patient", a.subject()).put("case", a.caseId()).put("detail", a.detail()));
    }

    /**
     * Claims a feed entry in the ledger. Polls run one at a time (the lock row) and finish every claim they take, so
     * a claim found still in progress was left by a poll whose process died mid-entry (kill -9): it is taken over at
     * once, not after its lease (feeds.leaseSeconds), which would fail every poll until then. Re-applying it is safe
     * (deterministic case id and instanceID; a change HQ already has is "unchanged").
     */
    static Ledger.Claim claimEntry(StateStore store, String key, Duration lease) {
        Ledger.Claim claim = store.ledger().claim(key, "feed-entry", lease);
        if (claim.result() == Ledger.ClaimResult.IN_PROGRESS && store.ledger().release(key, claim.attempts())) {
            claim = store.ledger().claim(key, "feed-entry", lease);
        }
        return claim;
    }

    static String describe(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + (m.length() > 500 ? m.substring(0, 500) + "..." : m));
    }
}
