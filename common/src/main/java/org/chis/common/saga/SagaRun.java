package org.chis.common.saga;

import java.util.List;
import org.chis.common.audit.TransactionContext;
import org.chis.common.store.Rows;

/** What a {@link SagaBody} uses to take journaled steps. */
public interface SagaRun {
    /** Runs a step that creates nothing to undo, journaled for the record. */
    <T> T step(String name, StepAction<T> action) throws Exception;

    /**
     * Runs a step that creates a resource of {@code kind}. The step is journaled with {@code plannedId}
     * (a client-chosen uuid, or null if the server assigns one) before the call, so a crash or a timeout
     * mid-call still leaves something to undo; then journaled done with the id the action returns.
     */
    ResourceRef create(String name, String kind, String plannedId, CreateAction action) throws Exception;

    /**
     * Journals a create this run is going to make (its planned id known in advance, e.g. a {@code StableUuid}) without
     * a write of its own: intents wait for the next write, so a body that intends all its creates first has them
     * journaled in one commit before its first call, and each later {@link #create} of the same kind and id needs no
     * write before its call. After a crash, recovery undoes every intended resource whether or not it was made
     * (compensators take "not there" as undone); a rollback in this run undoes only the creates that were tried.
     */
    void intend(String name, String kind, String plannedId);

    /**
     * The caller's own rows (e.g. "this form's encounter will be uuid X"), written in the journal's next commit: before
     * the next {@link #create}'s call, or with the saga's end; no commit of their own.
     */
    void writeWithJournal(Rows rows);

    /** Registers an undo for something done outside {@link #create} (e.g. an update restorable by a special kind). */
    void compensateWith(String name, ResourceRef ref);

    /** What {@link #create} made so far, in order. */
    List<ResourceRef> created();

    TransactionContext tx();

    String sagaKey();
}
