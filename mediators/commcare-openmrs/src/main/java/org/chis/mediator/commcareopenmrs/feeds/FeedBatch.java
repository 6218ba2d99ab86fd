package org.chis.mediator.commcareopenmrs.feeds;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import org.chis.common.json.Json;
import org.chis.common.audit.TransactionContext;
import org.chis.common.store.Ledger;
import org.chis.common.work.Idempotent;
import org.chis.common.store.StateStore;
import org.chis.common.systems.openmrs.FeedEntry;

/**
 * The new entries of one feed in one poll, applied in lanes: one lane per patient, whose entries run strictly one
 * after the other in feed order; lanes run in parallel on the lane pool ({@code feeds.parallelism} threads).
 * <ul>
 * <li>An applied entry's ledger record is committed as soon as it is applied, before the next entry of its lane
 * starts: after a crash, an entry past the marker with a SUCCEEDED record is skipped when read again, and at most
 * the one entry per patient that was in flight is applied again (its form has the same instanceID, or it finds
 * nothing to change).</li>
 * <li>The marker moves only over the contiguous prefix of entries that are done (applied, seen before, or parked), in
 * the same transaction as the record of the entry that completed the prefix.</li>
 * <li>Failing entries, and the later entries of their patient waiting behind them, are parked in feed order as the
 * prefix reaches them, so failed_event ids keep the order of the feed and the breaker trips at the same entry as a
 * sequential read. Entries past the breaker or an aborted entry are not done: the marker stays before them and
 * their ledger claims are released, so the next poll reads them again.</li>
 * </ul>
 * Commits are serialised (one lock), which keeps the marker monotonic; entries finishing meanwhile are committed
 * together by the next one (group commit).
 */
final class FeedBatch {
    private enum Kind { APPLIED, SEEN_BEFORE, PARK_FAILED, PARK_WAITING, NOT_DONE }

    /** One entry of the batch and, once its lane ran it, how it ended. */
    private static final class Item {
        final FeedEntry entry;
        final FeedMarker marker;
        final String key;
        CompletableFuture<Optional<JsonNode>> resource;
        volatile boolean done;
        Kind kind;
        FeedTarget.Applied applied;
        String subject;
        String error;
        Instant due;
        boolean claimed;
        boolean recorded;
        boolean committed;

        Item(FeedEntry entry, FeedMarker marker, String statePrefix) {
            this.entry = entry;
            this.marker = marker;
            this.key = "openmrs-feed:" + statePrefix + entry.id();
        }

        boolean parks() { return kind == Kind.PARK_FAILED || kind == Kind.PARK_WAITING; }
    }

    private final String feed;
    private final TransactionContext tx;
    private final StateStore store;
    private final FeedTarget applier;
    private final FeedPoll.Limits limits;
    private final Clock clock;
    private final FeedPoll.Report report;
    private final Executor lanePool;
    private final Executor readPool;
    private final Set<String> parkedSubjects;
    private final Set<String> waitingSubjects = ConcurrentHashMap.newKeySet();
    private final List<Item> items = new ArrayList<>();
    private final Map<String, CompletableFuture<Item>> lanes = new HashMap<>();
    private final List<CompletableFuture<Item>> running = new ArrayList<>();
    private final List<Item> pending = new ArrayList<>();
    private final ArrayDeque<Item> unrouted = new ArrayDeque<>();
    private final int readWindow;
    private final Object commitLock = new Object();
    private int next;
    private int parked;
    private volatile boolean stopped;
    private boolean tripped;
    private RuntimeException error;

    /**
     * @param parkedSubjects patients with entries parked before this batch (in any feed): theirs wait behind them
     * @param readWindow     entries whose resources are being read before the first of them joins its lane
     * @param parkedCount    entries of this feed parked now, for the breaker
     */
    FeedBatch(String feed, TransactionContext tx, StateStore store, FeedTarget applier, FeedPoll.Limits limits, Clock clock,
              FeedPoll.Report report, Executor lanePool, Executor readPool, int readWindow, Set<String> parkedSubjects, int parkedCount) {
        this.readWindow = readWindow;
        this.feed = feed;
        this.tx = tx;
        this.store = store;
        this.applier = applier;
        this.limits = limits;
        this.clock = clock;
        this.report = report;
        this.lanePool = lanePool;
        this.readPool = readPool;
        this.parkedSubjects = Set.copyOf(parkedSubjects);
        this.parked = parkedCount;
    }

    /** True once no more entries should be added: the breaker tripped or an entry could not be handled. */
    boolean stopped() { return stopped; }

    /**
     * Adds the next entry in feed order. Its resource is read at once; it joins its patient's lane once the reads of
     * the entries after it are under way too (an encounter's patient is only known from the encounter, and waiting
     * for each read in turn would pace the whole feed at one read at a time).
     */
    void add(FeedEntry entry, FeedMarker marker) {
        report.count(feed, "read");
        Item it = new Item(entry, marker, applier.statePrefix());
        it.resource = applier.read(tx, entry, readPool);
        synchronized (this) {
            items.add(it);
        }
        unrouted.add(it);
        while (unrouted.size() > readWindow) route(unrouted.poll());
    }

    private void route(Item it) {
        String lane = EntryApplier.patientLane(it.entry, it.resource);
        CompletableFuture<Item> before = lanes.get(lane);
        CompletableFuture<Item> run = before == null
                ? CompletableFuture.supplyAsync(() -> run(it, null), lanePool)
                : before.thenApplyAsync(b -> run(it, b), lanePool);
        lanes.put(lane, run);
        running.add(run);
    }

    /**
     * Waits for every lane, releases the claims of entries that are not done, and passes on what aborted the
     * batch. Returns true when the breaker tripped.
     */
    boolean finish() {
        while (!unrouted.isEmpty()) route(unrouted.poll());
        CompletableFuture.allOf(running.toArray(CompletableFuture[]::new)).join();
        synchronized (this) {
            for (Item it : items) {
                if (!it.claimed || it.recorded) continue;
                try {
                    store.ledger().fail(it.key, Json.write(Json.object().put("error", it.error == null ? "not done in this poll" : it.error)));
                } catch (RuntimeException e) {
                    // the database is what failed: the claim's lease runs out instead
                    if (error != null) error.addSuppressed(e);
                }
            }
            if (error != null) throw error;
            return tripped;
        }
    }

    /** One entry in its lane; never throws (what went wrong is kept for {@link #finish}). */
    private Item run(Item it, Item before) {
        try {
            if (stopped || before != null && before.kind == Kind.NOT_DONE) {
                // after an abort, or behind an entry of its patient that is not done: not even tried
                it.kind = Kind.NOT_DONE;
            } else {
                handle(it);
            }
        } catch (RuntimeException e) {
            abort(e);
            it.kind = Kind.NOT_DONE;
        } finally {
            it.resource = null;
        }
        complete(it);
        return it;
    }

    private void handle(Item it) {
        Ledger.Claim claim = FeedPoll.claimEntry(store, it.key, limits.lease());
        if (claim.result() == Ledger.ClaimResult.DONE) {
            // applied before (e.g. past the marker before a crash, or listed again): nothing to do but move on
            it.kind = Kind.SEEN_BEFORE;
            return;
        }
        if (claim.result() == Ledger.ClaimResult.IN_PROGRESS) {
            throw new Idempotent.HeldElsewhere("feed entry " + it.entry.id() + " is being applied by another worker; poll again later");
        }
        it.claimed = true;
        AtomicReference<String> subject = new AtomicReference<>();
        try {
            it.applied = applier.apply(tx, feed, it.entry, it.resource, subject, this::blocked);
            it.kind = Kind.APPLIED;
        } catch (FeedTarget.WaitingBehind w) {
            it.kind = Kind.PARK_WAITING;
            it.error = w.getMessage();
            it.due = clock.instant();
        } catch (RuntimeException e) {
            it.kind = Kind.PARK_FAILED;
            it.error = FeedPoll.describe(e);
            it.due = clock.instant().plus(limits.retryBase());
        }
        if (it.parks()) {
            it.subject = subject.get() == null ? "entry:" + it.entry.id() : subject.get();
            // later entries of this patient (in this lane, or in the next feed of this poll) wait behind it
            waitingSubjects.add(it.subject);
        }
    }

    private boolean blocked(String subject) {
        return parkedSubjects.contains(subject) || waitingSubjects.contains(subject);
    }

    private synchronized void abort(RuntimeException e) {
        stopped = true;
        if (error == null) error = e;
        else if (error != e) error.addSuppressed(e);
    }

    /**
     * Records an entry's outcome and moves the marker over the prefix of done entries; returns once that is
     * committed. Group commit: lanes finishing while a commit runs are committed together by the next one (each
     * commit of the H2 file store writes to disk, the largest CPU cost per entry after the HTTP calls).
     */
    private void complete(Item it) {
        synchronized (this) {
            it.done = true;
            if (it.kind != Kind.NOT_DONE) pending.add(it);
        }
        synchronized (commitLock) {
            List<Item> group;
            synchronized (this) {
                if (it.kind == Kind.NOT_DONE || it.committed) return;
                group = new ArrayList<>(pending);
                pending.clear();
            }
            commit(group);
        }
    }

    /** One transaction: the records of {@code group}, the parks and the marker over the prefix of done entries. */
    private void commit(List<Item> group) {
        int n;
        int parks;
        boolean trip = false;
        List<Item> toPark = new ArrayList<>();
        FeedMarker to = null;
        synchronized (this) {
            n = next;
            parks = parked;
            while (n < items.size() && !tripped) {
                Item x = items.get(n);
                if (!x.done || x.kind == Kind.NOT_DONE || x.kind == Kind.APPLIED && !x.committed && !group.contains(x)) break;
                if (x.parks()) {
                    toPark.add(x);
                    parks++;
                }
                to = x.marker;
                n++;
                if (x.parks() && parks >= limits.maxFailedEvents()) {
                    trip = true;
                    break;
                }
            }
        }
        List<Item> records = group.stream().filter(x -> x.kind == Kind.APPLIED).toList();
        FeedMarker marker = to;
        try {
            if (!records.isEmpty() || marker != null) {
                store.inTransaction(c -> {
                    for (Item r : records) store.ledger().succeed(c, r.key, FeedPoll.outcome(r.applied));
                    for (Item p : toPark) {
                        store.ledger().fail(c, p.key, Json.write(Json.object().put("error", p.error)));
                        store.failedEvents().record(c, feed, p.entry.id(), p.subject, ParkedEntry.write(p.entry), p.error, p.due);
                    }
                    if (marker != null) store.feedMarkers().advance(c, feed, marker.toJson());
                    return null;
                });
            }
        } catch (RuntimeException e) {
            abort(e);
            synchronized (this) {
                for (Item x : group) {
                    x.kind = Kind.NOT_DONE;
                    x.committed = true; // nothing more to do for it: its claim is released at the end
                }
            }
            return;
        }
        synchronized (this) {
            for (Item r : records) {
                r.recorded = true;
                FeedPoll.tally(feed, r.applied, report);
            }
            for (Item x : group) x.committed = true;
            for (int i = next; i < n; i++) {
                Item x = items.get(i);
                if (x.kind == Kind.SEEN_BEFORE) report.count(feed, "unchanged");
                if (x.parks()) {
                    x.recorded = true;
                    report.count(feed, x.kind == Kind.PARK_FAILED ? "failed" : "waiting");
                    if (x.kind == Kind.PARK_FAILED) report.failed();
                }
            }
            next = n;
            parked = parks;
            if (trip) {
                tripped = true;
                stopped = true;
            }
        }
    }
}
