package org.chis.mediator.commcareopenmrs.feeds;

import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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
 * <li>new entries are read from the stored marker on, one {@link FeedBatch} per feed: each is applied in its
 * patient's lane, then its ledger record and the marker advance are committed in one transaction. A failing entry is parked in {@code failed_event} with a back-off, in
 * that same transaction, and the feed goes on with other patients; later entries of its patient are parked behind
 * it;</li>
 * <li>when a feed holds {@code maxFailedEvents} parked entries it stops taking new ones (circuit breaker) and the
 * poll answers Failed, so a systematic fault halts the feed loudly instead of parking thousands of entries.</li>
 * </ol>
 * One poll runs at a time across replicas (a lock row in the state store).
 */
final class FeedPoll {
    static final String LOCK = "openmrs-feeds/poll";

    private final AtomFeedReader reader;
    private final FeedTarget applier;
    private final StateStore store;
    private final List<String> feeds;
    private final FeedLimits limits;
    private final Clock clock;
    private final int readAheadPages;
    private final FeedLedger ledger;
    private final FeedBatch.Setup batchSetup;
    private final ExecutorService pagePool;

    /**
     * @param parallelism    patients applied at the same time (lanes), and OpenMRS resources read ahead at a time; 1 = one entry after the other
     * @param readAheadPages feed pages read ahead in parallel; 1 = follow the links one page at a time
     */
    FeedPoll(AtomFeedReader reader, FeedTarget applier, StateStore store, List<String> feeds, FeedLimits limits, Clock clock,
             int parallelism, int readAheadPages) {
        this.reader = reader;
        this.applier = applier;
        this.store = store;
        this.feeds = List.copyOf(feeds);
        this.limits = limits;
        this.clock = clock;
        this.readAheadPages = readAheadPages;
        this.ledger = new FeedLedger(store, applier.statePrefix(), limits, clock);
        // an entry joins its lane once the next 2 x parallelism resources are being read
        this.batchSetup = new FeedBatch.Setup(applier, ledger, pool("feed-lane", parallelism), pool("feed-read-ahead", parallelism), 2 * parallelism);
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

    PollReport run(TransactionContext tx) {
        PollReport report = new PollReport();
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

    private int feed(TransactionContext tx, String category, int budget, PollReport report) {
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
        FeedBatch batch = new FeedBatch(batchSetup, feed, tx, report, new DonePrefix(failed.count(feed), limits.maxFailedEvents()),
                parkedSubjects());
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

    private void breaker(String feed, PollReport report) {
        List<FailedEvent> parked = store.failedEvents().all(feed);
        String oldest = parked.isEmpty() ? "" : " Oldest: entry " + parked.get(0).entryId() + " (" + parked.get(0).attempts()
                + " attempts): " + parked.get(0).lastError();
        report.stopped = "feed " + feed + " stopped: " + parked.size() + " entries are parked (cap feeds.maxFailedEvents="
                + limits.maxFailedEvents() + "); new entries are not read until they are applied." + oldest;
        report.feed(feed).put("stopped", report.stopped);
    }

    /** Retries due parked entries of one feed, in the order they were parked. */
    private int retryParked(TransactionContext tx, String feed, int budget, PollReport report) {
        FailedEvents failed = store.failedEvents();
        for (FailedEvent ev : failed.due(feed, clock.instant(), Math.max(0, budget))) {
            if (budget <= 0) break;
            if (blockedBefore(ev.subject(), ev.id())) continue;
            budget--;
            report.count(feed, "retried");
            Ledger.Claim claim = ledger.claim(ev.entryId());
            if (claim.result() == Ledger.ClaimResult.IN_PROGRESS) continue;
            if (claim.result() == Ledger.ClaimResult.DONE) {
                ledger.resolvedBefore(feed, ev.entryId());
                continue;
            }
            FeedEntry entry = ParkedEntry.read(ev.payload());
            AtomicReference<String> subject = new AtomicReference<>();
            try {
                FeedTarget.Applied a = applier.apply(tx, feed, entry, null, subject, null);
                ledger.resolved(feed, ev.entryId(), applier, a);
                report.tally(feed, a);
                report.count(feed, "resolved");
            } catch (RuntimeException e) {
                ledger.failedAgain(feed, ev, e);
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
}
