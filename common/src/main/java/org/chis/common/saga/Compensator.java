package org.chis.common.saga;

import org.chis.common.audit.TransactionContext;

/**
 * Undoes what a step created (e.g. purges an OpenMRS encounter, closes a CommCare case, deletes a FHIR Task).
 * Make upstream calls through {@code RecordingHttpClient} with {@code tx}, so they are recorded too.
 * <p>
 * Must be idempotent: a compensation may run again after a crash, and a planned resource may never have
 * been created. Treat "404 Not Found" (already gone, or never there) as success; throw for anything else
 * that leaves the resource in place, so the rollback is reported as incomplete.
 */
@FunctionalInterface
public interface Compensator {
    void undo(TransactionContext tx, ResourceRef ref) throws Exception;
}
