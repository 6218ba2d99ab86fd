package org.chis.common.saga;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import org.chis.common.audit.TransactionContext;
import org.chis.common.store.SagaJournal;
import org.chis.common.store.SagaJournal.State;
import org.chis.common.store.SagaJournal.Step;
import org.chis.common.store.SagaJournal.StepState;
import org.chis.common.store.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Undoes sagas the journal shows as interrupted (the process stopped mid-saga): every step that may have
 * created something is compensated in reverse. Mediators call {@link #recover} at start-up, after
 * registering their compensators.
 */
public final class SagaRecovery {
    private static final Logger log = LoggerFactory.getLogger(SagaRecovery.class);

    private final SagaJournal journal;
    private final Compensation compensation;
    private final Listener listener;

    /** Told of each saga {@link #recover} handled, after it was undone and finished (e.g. to release its ledger claim). */
    @FunctionalInterface
    public interface Listener {
        void recovered(String sagaKey, boolean rollbackComplete);
    }

    public SagaRecovery(SagaJournal journal, Compensators compensators) { this(journal, compensators, (k, c) -> { }); }

    private SagaRecovery(SagaJournal journal, Compensators compensators, Listener listener) {
        this.journal = journal;
        this.compensation = new Compensation(journal, compensators);
        this.listener = listener;
    }

    private SagaRecovery(SagaRecovery r, Listener listener) {
        this.journal = r.journal;
        this.compensation = r.compensation;
        this.listener = listener;
    }

    /**
     * A recovery that tells {@code listener} of each saga it undid (only those: what this recovery's window
     * leaves to other replicas is never reported). A listener that throws is logged; recovery goes on.
     */
    public SagaRecovery onRecovered(Listener listener) { return new SagaRecovery(this, listener); }

    public SagaRecovery(StateStore store, Compensators compensators) { this(store.sagaJournal(), compensators); }

    /** Undoes every RUNNING saga; returns how many were handled. For a single instance (nobody else runs sagas). */
    public int recover(TransactionContext tx) { return recover(tx, journal.unfinished()); }

    /**
     * Undoes RUNNING sagas started more than {@code olderThan} ago. With several replicas on one database,
     * pass more than the longest saga takes, so a saga another replica is running now is left alone.
     */
    public int recover(TransactionContext tx, Duration olderThan) {
        return recover(tx, journal.unfinished(Instant.now().minus(olderThan)));
    }

    private int recover(TransactionContext tx, List<String> keys) {
        boolean allComplete = true;
        for (String key : keys) {
            log.warn("saga {} was interrupted: undoing its steps", key);
            boolean complete = undoLeftovers(tx, key);
            allComplete &= complete;
            try {
                listener.recovered(key, complete);
            } catch (RuntimeException e) {
                log.warn("saga {} was undone but its recovery listener failed: {}", key, e.toString());
            }
        }
        if (!keys.isEmpty()) {
            tx.property("recoveredSagas", keys.size());
            tx.property("rollback", allComplete ? "complete" : "incomplete");
        }
        return keys.size();
    }

    /**
     * Undoes what the journal says saga {@code sagaKey} may have left upstream (steps not yet undone, in
     * reverse) and marks it ROLLED_BACK or ROLLBACK_INCOMPLETE. Returns true when nothing is left.
     */
    public boolean undoLeftovers(TransactionContext tx, String sagaKey) {
        List<Compensation.Target> targets = journal.steps(sagaKey).stream()
                .filter(s -> s.hasResource() && s.state() != StepState.UNDONE)
                .sorted(Comparator.comparingInt(Step::seq).reversed())
                .map(s -> new Compensation.Target(s.seq(), s.name(), new ResourceRef(s.resourceKind(), s.resourceId())))
                .toList();
        boolean complete = compensation.undo(tx, sagaKey, targets);
        journal.finish(sagaKey, complete ? State.ROLLED_BACK : State.ROLLBACK_INCOMPLETE,
                complete ? "interrupted; undone by recovery" : "interrupted; some steps could not be undone (see saga_journal.steps)");
        return complete;
    }
}
