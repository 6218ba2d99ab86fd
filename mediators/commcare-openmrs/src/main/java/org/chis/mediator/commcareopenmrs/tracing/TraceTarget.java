package org.chis.mediator.commcareopenmrs.tracing;

import java.time.Instant;
import java.util.List;
import org.chis.common.audit.TransactionContext;

/** A community app trace tasks go to: who can be traced there, and how one task is written. */
interface TraceTarget {
    /** {@code commcare} or {@code cht}: part of the ledger key, so each target gets its own task. */
    String name();

    /** The patients this app follows (each with the app's own record of them). */
    List<Candidate> candidates(TransactionContext tx);

    /**
     * Writes the task for one missed appointment; {@code key} is its ledger key (ids derive from it). Returns the
     * task's id in the app. Must not make a second task when called again with the same key.
     */
    String write(TransactionContext tx, String key, Candidate c, TracingRules.Missed m, Instant now);

    /** A followed patient: the OpenMRS patient uuid and the app's record of them (case / person). */
    record Candidate(String patient, String communityId, String name, String ownerId, String type) {}
}
