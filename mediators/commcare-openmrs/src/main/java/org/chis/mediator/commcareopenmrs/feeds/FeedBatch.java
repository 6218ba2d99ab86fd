package org.chis.mediator.commcareopenmrs.feeds;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import org.chis.common.audit.TransactionContext;
import org.chis.common.systems.openmrs.FeedEntry;

/**
 * The new entries of one feed in one poll: each is applied in its patient's lane (unless recorded before) ({@link Lanes}), its
 * outcome recorded in the {@link FeedLedger}, and the marker moved over the {@link DonePrefix}.
 * <ul>
 * <li>An applied entry's record is committed as soon as it is applied, before the next entry of its lane starts:
 * after a crash, an entry past the marker with a SUCCEEDED record is skipped when read again, and at most the one
 * entry per patient that was in flight is applied again (its form has the same instanceID, or it finds nothing to
 * change).</li>
 * <li>Failing entries, and the later entries of their patient waiting behind them, are parked in feed order as the
 * prefix reaches them, so failed_event ids keep the order of the feed and the breaker trips at the same entry as a
 * sequential read. Entries past the breaker or an aborted entry are not done: the marker stays before them and
 * they have no record, so the next poll reads them again.</li>
 * </ul>
 * Commits run one at a time, which keeps the marker monotonic; entries finishing meanwhile are committed together by
 * the next one (group commit: each commit of the H2 file store writes to disk, the largest CPU cost per entry after the
 * HTTP calls). A lane hands its applied entry over and takes the next entry of another patient: only its own
 * patient's next entry waits for the record (JFR: lane threads waiting on the commit lock was the feed's pace).
 */
final class FeedBatch {
    /** What a poll gives each of its batches: the target and its ledger, the lane and read pools, the read window. */
    record Setup(FeedTarget target, FeedLedger ledger, Executor lanePool, Executor readPool, int readWindow) {}

    private enum Kind { APPLIED, SEEN_BEFORE, PARK_FAILED, PARK_WAITING, NOT_DONE }

    /** One entry of the batch and, once its lane ran it, how it ended. */
    private static final class Item {
        final FeedEntry entry;
        final int position;
        CompletableFuture<Optional<JsonNode>> resource;
        Kind kind;
        FeedTarget.Applied applied;
        String subject;
        String error;
        Instant due;
        /** Completes once the entry's outcome is committed (or it is not done): its lane's next entry may start. */
        final CompletableFuture<Item> done = new CompletableFuture<>();

        Item(FeedEntry entry, int position) {
            this.entry = entry;
            this.position = position;
        }

        boolean parks() { return kind == Kind.PARK_FAILED || kind == Kind.PARK_WAITING; }

        DonePrefix.State state() {
            return switch (kind) {
                case APPLIED -> DonePrefix.State.APPLIED;
                case SEEN_BEFORE -> DonePrefix.State.DONE;
                case PARK_FAILED, PARK_WAITING -> DonePrefix.State.PARKED;
                case NOT_DONE -> DonePrefix.State.NOT_DONE;
            };
        }
    }

    private final String feed;
    private final TransactionContext tx;
    private final PollReport report;
    private final Setup setup;
    private final FeedTarget applier;
    private final FeedLedger ledger;
    private final DonePrefix prefix;
    private final Lanes<Item> lanes;
    private final Set<String> parkedSubjects;
    private final Set<String> waitingSubjects = ConcurrentHashMap.newKeySet();
    private final List<Item> items = new ArrayList<>();
    private final List<Item> pending = new ArrayList<>();
    private boolean committing;
    private volatile boolean stopped;
    private RuntimeException error;

    /**
     * @param prefix         the feed's marker over this batch, with the feed's parked entries for the breaker
     * @param parkedSubjects patients with entries parked before this batch (in any feed): theirs wait behind them
     */
    FeedBatch(Setup setup, String feed, TransactionContext tx, PollReport report, DonePrefix prefix, Set<String> parkedSubjects) {
        this.setup = setup;
        this.applier = setup.target();
        this.ledger = setup.ledger();
        this.feed = feed;
        this.tx = tx;
        this.report = report;
        this.prefix = prefix;
        this.parkedSubjects = Set.copyOf(parkedSubjects);
        this.lanes = new Lanes<>(setup.lanePool(), setup.readWindow(), it -> EntryApplier.patientLane(it.entry, it.resource), this::run);
    }

    /** True once no more entries should be added: the breaker tripped or an entry could not be handled. */
    boolean stopped() { return stopped; }

    /**
     * Adds the next entry in feed order. Its resource is read at once; it joins its patient's lane once the reads of
     * the entries after it are under way too.
     */
    void add(FeedEntry entry, FeedMarker marker) {
        report.count(feed, "read");
        Item it = new Item(entry, prefix.add(marker));
        it.resource = applier.read(tx, entry, setup.readPool());
        synchronized (this) {
            items.add(it);
        }
        lanes.add(it);
    }

    /**
     * Waits for every lane and passes on what aborted the batch (entries not done have no record: the next poll
     * reads them again). Returns true when the breaker tripped.
     */
    boolean finish() {
        lanes.finish();
        synchronized (this) {
            if (error != null) throw error;
            return prefix.tripped();
        }
    }

    /**
     * One entry in its lane; never throws (what went wrong is kept for {@link #finish}). The answer completes once its
     * outcome is committed.
     */
    private CompletableFuture<Item> run(Item it, Item before) {
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
        return it.done;
    }

    /** Applies the entry to the target unless recorded before: applied, seen before, or to be parked (failed or waiting). */
    private void handle(Item it) {
        if (ledger.applied(it.entry.id())) {
            // applied before (e.g. past the marker before a crash, or listed again): nothing to do but move on
            it.kind = Kind.SEEN_BEFORE;
            return;
        }
        AtomicReference<String> subject = new AtomicReference<>();
        try {
            it.applied = applier.apply(tx, feed, it.entry, it.resource, subject, this::blocked);
            it.kind = Kind.APPLIED;
        } catch (FeedTarget.WaitingBehind w) {
            it.kind = Kind.PARK_WAITING;
            it.error = w.getMessage();
            it.due = ledger.now();
        } catch (RuntimeException e) {
            it.kind = Kind.PARK_FAILED;
            it.error = FeedLedger.describe(e);
            it.due = ledger.firstRetry();
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
     * Records an entry's outcome and moves the marker over the prefix of done entries: commits what is pending unless a
     * commit is running, whose committer then takes it in its next group (group commit); {@link Item#done} completes
     * once it is committed.
     */
    private void complete(Item it) {
        synchronized (this) {
            prefix.set(it.position, it.state());
            if (it.kind == Kind.NOT_DONE) {
                it.done.complete(it);
                return;
            }
            pending.add(it);
            if (committing) return;
            committing = true;
        }
        while (true) {
            List<Item> group;
            synchronized (this) {
                if (pending.isEmpty()) {
                    committing = false;
                    return;
                }
                group = new ArrayList<>(pending);
                pending.clear();
            }
            try {
                commit(group);
            } finally {
                for (Item x : group) x.done.complete(x);
            }
        }
    }

    /** One transaction: the records of {@code group}, the parks and the marker over the prefix of done entries. */
    private void commit(List<Item> group) {
        List<Item> records = group.stream().filter(x -> x.kind == Kind.APPLIED).toList();
        DonePrefix.Move move = prefix.next(records.stream().map(x -> x.position).toList());
        List<Item> toPark;
        synchronized (this) {
            toPark = move.parked().stream().map(items::get).toList();
        }
        try {
            if (!records.isEmpty() || move.marker() != null) {
                ledger.commit(feed, applier,
                        records.stream().map(r -> new FeedLedger.Applied(r.entry.id(), r.applied)).toList(),
                        toPark.stream().map(p -> new FeedLedger.Parked(p.entry, p.subject, p.error, p.due)).toList(),
                        move.marker());
            }
        } catch (RuntimeException | Error e) {
            // an Error too: the entries handed over must end (not done) or their lanes and finish() would wait forever
            abort(e instanceof RuntimeException r ? r : new IllegalStateException(e));
            synchronized (this) {
                for (Item x : group) {
                    x.kind = Kind.NOT_DONE;
                    prefix.set(x.position, DonePrefix.State.NOT_DONE);
                }
            }
            return;
        }
        synchronized (this) {
            for (Item r : records) {
                prefix.set(r.position, DonePrefix.State.DONE);
                report.tally(feed, r.applied);
            }
            for (int i = move.from(); i < move.to(); i++) {
                Item x = items.get(i);
                if (x.kind == Kind.SEEN_BEFORE) report.count(feed, "unchanged");
                if (x.parks()) {
                    report.count(feed, x.kind == Kind.PARK_FAILED ? "failed" : "waiting");
                    if (x.kind == Kind.PARK_FAILED) report.failed();
                }
            }
            prefix.moved(move);
            if (move.trips()) stopped = true;
        }
    }
}
