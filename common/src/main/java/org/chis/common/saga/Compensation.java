package org.chis.common.saga;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.chis.common.audit.Orchestration;
import org.chis.common.audit.TransactionContext;
import org.chis.common.store.SagaJournal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Undoes a list of steps (already in reverse order), records each as an orchestration and in the journal. */
final class Compensation {
    private static final Logger log = LoggerFactory.getLogger(Compensation.class);

    /** One step to undo: its journal sequence number, its name and what it created. */
    record Target(int seq, String stepName, ResourceRef ref) {}

    private final SagaJournal journal;
    private final Compensators compensators;

    Compensation(SagaJournal journal, Compensators compensators) {
        this.journal = journal;
        this.compensators = compensators;
    }

    /** Returns true when every target was undone. Keeps going after a failure: undo as much as possible. */
    boolean undo(TransactionContext tx, String sagaKey, List<Target> reversed) {
        boolean complete = true;
        for (Target t : reversed) complete &= undoOne(tx, sagaKey, t);
        return complete;
    }

    private boolean undoOne(TransactionContext tx, String sagaKey, Target t) {
        Instant started = Instant.now();
        String error = null;
        try {
            Compensator c = compensators.find(t.ref().kind())
                    .orElseThrow(() -> new IllegalStateException("no compensator registered for kind '" + t.ref().kind() + "'"));
            c.undo(tx, t.ref());
        } catch (Exception e) {
            error = "undo " + t.ref() + " failed: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
        tx.record(orchestration(t, started, error));
        try {
            if (error == null) journal.markStepUndone(sagaKey, t.seq());
            else journal.markStepUndoFailed(sagaKey, t.seq(), error);
        } catch (RuntimeException e) {
            // the journal is only our memo: the undo itself happened (or not) upstream either way
            log.warn("saga {}: could not journal the undo of step {} ({}): {}", sagaKey, t.seq(), t.ref(), e.getMessage());
        }
        if (error != null) log.error("saga {}: rollback of '{}' INCOMPLETE: {} is still upstream ({})", sagaKey, t.stepName(), t.ref(), error);
        else log.info("saga {}: rolled back '{}' ({})", sagaKey, t.stepName(), t.ref());
        return error == null;
    }

    /** A synthetic orchestration, so the console shows each undo even when the compensator made no HTTP call. */
    private static Orchestration orchestration(Target t, Instant started, String error) {
        var request = new Orchestration.Request("ROLLBACK", null, null, t.ref().kind() + "/" + t.ref().id(), null,
                Map.of(), null, started);
        var response = error == null ? new Orchestration.Response(200, Map.of(), "undone", Instant.now()) : null;
        return new Orchestration("rollback: " + t.stepName(), null, request, response, error);
    }
}
