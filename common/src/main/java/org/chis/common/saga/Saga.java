package org.chis.common.saga;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.chis.common.audit.TransactionContext;
import org.chis.common.store.Ledger;
import org.chis.common.store.Rows;
import org.chis.common.store.SagaJournal;
import org.chis.common.store.SagaJournal.State;
import org.chis.common.store.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a multi-step write as a saga: each step is journaled before its upstream call; when a step fails,
 * what was created is undone in reverse order (each undo an orchestration {@code rollback: <step>}).
 * <p>
 * It runs only under the {@link Ledger} claim of the item, whose key is the saga's key (see
 * {@link org.chis.common.work.Idempotent}): a rerun of a key whose earlier run was interrupted first undoes that
 * run's leftovers, which must not belong to a live run.
 * An {@link Error} thrown by the body is not compensated here (the JVM may be unusable); the journal stays
 * RUNNING and {@link SagaRecovery} or the next run of the key undoes it.
 */
public final class Saga {
    private static final Logger log = LoggerFactory.getLogger(Saga.class);

    private final SagaJournal journal;
    private final Compensators compensators;
    private final Compensation compensation;
    private final SagaRecovery recovery;

    public Saga(SagaJournal journal, Compensators compensators) {
        this.journal = journal;
        this.compensators = compensators;
        this.compensation = new Compensation(journal, compensators);
        this.recovery = new SagaRecovery(journal, compensators);
    }

    public Saga(StateStore store, Compensators compensators) { this(store.sagaJournal(), compensators); }

    /** Runs {@code body} as the saga of {@code claim}'s key; the claim must be held (NEW or RETRY), or nothing runs. */
    public SagaOutcome run(TransactionContext tx, Ledger.Claim claim, SagaBody body) {
        return run(tx, held(claim), body, null);
    }

    /**
     * As {@link #run(TransactionContext, Ledger.Claim, SagaBody)}, writing {@code atEnd} (e.g. the claim's outcome) in
     * the transaction that marks the saga COMPLETED: one commit for both, and never one without the other (if that
     * commit fails, the saga is undone like any failed one).
     */
    public SagaOutcome run(TransactionContext tx, Ledger.Claim claim, SagaBody body, Rows atEnd) {
        return run(tx, held(claim), body, atEnd);
    }

    /** By key, for the saga's own tests; everything else runs under a claim. Timed for /metrics. */
    SagaOutcome run(TransactionContext tx, String sagaKey, SagaBody body) { return run(tx, sagaKey, body, null); }

    SagaOutcome run(TransactionContext tx, String sagaKey, SagaBody body, Rows atEnd) {
        long t0 = System.nanoTime();
        SagaOutcome outcome = runOnce(tx, sagaKey, body, atEnd);
        SagaMetrics.record(outcome, System.nanoTime() - t0);
        return outcome;
    }

    private SagaOutcome runOnce(TransactionContext tx, String sagaKey, SagaBody body, Rows atEnd) {
        Objects.requireNonNull(sagaKey, "sagaKey");
        if (!undoEarlierRun(tx, sagaKey)) {
            tx.property("rollback", "incomplete");
            return SagaOutcome.failed(new IllegalStateException("saga '" + sagaKey
                    + "': what an earlier run created could not all be undone; not running again until it is"), List.of(), false);
        }
        // the journal is written in as few commits as crash safety allows: the start and every step row wait for the
        // next create (whose planned id must be durable before its call) or for the end
        SagaJournal.Batch batch = journal.batch(sagaKey);
        batch.begin();
        Run run = new Run(tx, sagaKey, batch);
        try {
            body.run(run);
            // inside the try: a saga we cannot mark COMPLETED would be undone by recovery later, so undo it now
            batch.finish(State.COMPLETED, null, atEnd);
            return SagaOutcome.success(run.created());
        } catch (Exception failure) {
            // a run of the key still RUNNING refused the start: nothing of ours was written, and theirs is not ours to undo
            if (batch.refused()) return SagaOutcome.failed(failure, List.of(), true);
            log.warn("saga {} failed: {}; rolling back {} step(s)", sagaKey, failure.getMessage(), run.toUndo.size());
            flushQuietly(sagaKey, batch);
            boolean complete = compensation.undo(tx, sagaKey, run.toUndoReversed());
            finishQuietly(sagaKey, batch, complete ? State.ROLLED_BACK : State.ROLLBACK_INCOMPLETE, failure);
            tx.property("rollback", complete ? "complete" : "incomplete");
            return SagaOutcome.failed(failure, run.created(), complete);
        }
    }

    /**
     * Undoes what an earlier run of {@code sagaKey} left upstream if it was interrupted (RUNNING: the process died)
     * or rolled back incompletely; true when nothing is left. {@link #run} does this itself; call it first when
     * upstream state is read before the saga runs (e.g. "is it already there?"), which would otherwise take a
     * half-written run for a finished one. Hold the key's ledger claim.
     */
    public boolean undoInterrupted(TransactionContext tx, Ledger.Claim claim) { return undoEarlierRun(tx, held(claim)); }

    private static String held(Ledger.Claim claim) {
        if (!claim.owned()) throw new IllegalStateException("saga '" + claim.key() + "': its claim is " + claim.result()
                + ", not held by this run; a saga runs only under its item's claim");
        return claim.key();
    }

    /** A rerun after a crash, or after a rollback that was incomplete: undo what that run left first. */
    private boolean undoEarlierRun(TransactionContext tx, String sagaKey) {
        var earlier = journal.find(sagaKey);
        if (earlier.isEmpty()) return true;
        State state = earlier.get().state();
        if (state != State.RUNNING && state != State.ROLLBACK_INCOMPLETE) return true;
        log.warn("saga {}: an earlier run ended {}; undoing its leftovers before running again", sagaKey, state);
        return recovery.undoLeftovers(tx, sagaKey);
    }

    /** The undo marks update the run's step rows, so those must be written first. */
    private void flushQuietly(String sagaKey, SagaJournal.Batch batch) {
        try {
            batch.flush();
        } catch (RuntimeException e) {
            log.warn("saga {}: could not journal its steps before rolling back: {}", sagaKey, e.getMessage());
        }
    }

    private void finishQuietly(String sagaKey, SagaJournal.Batch batch, State state, Exception failure) {
        try {
            batch.finish(state, failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage());
        } catch (RuntimeException e) {
            // stays RUNNING: recovery will run the (idempotent) compensations again
            log.warn("saga {}: could not journal its end ({}): {}", sagaKey, state, e.getMessage());
        }
    }

    private final class Run implements SagaRun {
        private final TransactionContext tx;
        private final String sagaKey;
        private final SagaJournal.Batch batch;
        private final AtomicInteger seq = new AtomicInteger();
        private final List<ResourceRef> created = Collections.synchronizedList(new ArrayList<>());
        private final List<Compensation.Target> toUndo = Collections.synchronizedList(new ArrayList<>());
        private final Map<ResourceRef, Integer> intended = new ConcurrentHashMap<>();

        Run(TransactionContext tx, String sagaKey, SagaJournal.Batch batch) {
            this.tx = tx;
            this.sagaKey = sagaKey;
            this.batch = batch;
        }

        @Override
        public <T> T step(String name, StepAction<T> action) throws Exception {
            int n = seq.incrementAndGet();
            // creates nothing to undo: its rows are for the record and go with the next write
            batch.plan(n, name, null, null);
            T result = action.run();
            batch.done(n, null, null);
            return result;
        }

        @Override
        public void intend(String name, String kind, String plannedId) {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(plannedId, "plannedId");
            requireCompensator(name, kind);
            ResourceRef ref = new ResourceRef(kind, plannedId);
            if (intended.containsKey(ref)) return;
            int n = seq.incrementAndGet();
            batch.plan(n, name, kind, plannedId);
            intended.put(ref, n);
        }

        @Override
        public ResourceRef create(String name, String kind, String plannedId, CreateAction action) throws Exception {
            Objects.requireNonNull(kind, "kind");
            // refuse before creating: something we could not undo must not be created inside a saga
            requireCompensator(name, kind);
            Integer intent = plannedId == null ? null : intended.remove(new ResourceRef(kind, plannedId));
            int n = intent != null ? intent : seq.incrementAndGet();
            if (intent == null) batch.plan(n, name, kind, plannedId);
            // durable before the call, so a crash or timeout mid-call leaves it to undo (an intent may be written already)
            if (!batch.written(n)) batch.flush();
            // the call may create it and still fail (timeout): a planned id is worth undoing either way
            Compensation.Target planned = plannedId == null ? null : new Compensation.Target(n, name, new ResourceRef(kind, plannedId));
            if (planned != null) toUndo.add(planned);
            String id = action.create();
            if (id == null) id = plannedId;
            if (id == null) throw new IllegalStateException("step '" + name + "' created a " + kind + " but returned no id");
            ResourceRef ref = new ResourceRef(kind, id);
            if (planned != null) toUndo.remove(planned);
            toUndo.add(new Compensation.Target(n, name, ref));
            created.add(ref);
            batch.done(n, kind, id);
            // an id the server chose is only in memory until written; the planned one is in the journal already
            if (!id.equals(plannedId)) batch.flush();
            return ref;
        }

        private void requireCompensator(String name, String kind) {
            if (compensators.find(kind).isEmpty()) throw new IllegalStateException("step '" + name
                    + "': no compensator registered for kind '" + kind + "'");
        }

        @Override
        public void writeWithJournal(Rows rows) { batch.with(rows); }

        @Override
        public void compensateWith(String name, ResourceRef ref) {
            int n = seq.incrementAndGet();
            batch.plan(n, name, ref.kind(), ref.id());
            batch.done(n, ref.kind(), ref.id());
            batch.flush();
            toUndo.add(new Compensation.Target(n, name, ref));
        }

        @Override
        public List<ResourceRef> created() {
            synchronized (created) { return List.copyOf(created); }
        }

        List<Compensation.Target> toUndoReversed() {
            List<Compensation.Target> list;
            synchronized (toUndo) { list = new ArrayList<>(toUndo); }
            list.sort((a, b) -> Integer.compare(b.seq(), a.seq()));
            return list;
        }

        @Override
        public TransactionContext tx() { return tx; }

        @Override
        public String sagaKey() { return sagaKey; }
    }
}
