package org.chis.common.work;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.chis.common.http.UpstreamException;
import org.chis.common.json.Json;
import org.chis.common.http.BadInputException;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorStatus;
import org.chis.common.audit.TransactionContext;
import org.chis.common.saga.SagaOutcome;
import org.chis.common.systems.openmrs.OpenMrsException;

/**
 * What a failed piece of work answers, written once for every endpoint. A fault (upstream down, timeout, a bug)
 * answers Failed with an {@code error} object, so core's auto-retry and the console's rerun pick it up; the status
 * is {@link UpstreamException#answerStatus()} (503/504 pass through, a timeout is 504, anything else 502). Data an
 * upstream refused (an OpenMRS validation error, {@link BadInputException}) is rejected: 4xx without {@code error},
 * as sending the same data again cannot help. A rollback that left something upstream is always a fault (500, the
 * clean-up is ours to finish), with the transaction property {@code rollback: incomplete}.
 */
public final class Failures {
    /** How far the undo of a failed saga got. */
    public enum Rollback {
        /** Nothing ran that needed undoing (no saga). */
        NONE,
        COMPLETE,
        INCOMPLETE;

        public static Rollback of(SagaOutcome o) { return o.rollbackComplete() ? COMPLETE : INCOMPLETE; }

        String text() {
            return switch (this) {
                case NONE -> "";
                case COMPLETE -> "; everything it created was undone, safe to rerun";
                case INCOMPLETE -> "; ROLLBACK INCOMPLETE: something it created is still upstream (see the rollback orchestrations and saga_journal.steps)";
            };
        }
    }

    private Failures() {}

    /** A saga that failed: its failure and how far its undo got ({@code what} names the item, e.g. "form 123"). */
    public static MediatorResponse of(TransactionContext tx, String what, SagaOutcome failed) {
        return of(tx, what, failed.failure(), Rollback.of(failed));
    }

    public static MediatorResponse of(TransactionContext tx, String what, Throwable failure, Rollback rollback) {
        String message = what + " failed: " + messageOf(failure) + rollback.text();
        if (rollback != Rollback.NONE) tx.property("rollback", rollback == Rollback.COMPLETE ? "complete" : "incomplete");
        if (rollback == Rollback.INCOMPLETE) return fault(500, message, rollback);
        if (failure instanceof BadInputException bad) return rejected(bad.status(), message, rollback);
        if (failure instanceof OpenMrsException oe && oe.rejected()) return rejected(422, message, rollback);
        int status = failure instanceof UpstreamException u ? u.answerStatus() : 502;
        return fault(status, message, rollback);
    }

    /** A fault without a saga: Failed with {@code error}, status as {@link UpstreamException#answerStatus()}. */
    public static MediatorResponse of(TransactionContext tx, String what, Throwable failure) {
        return of(tx, what, failure, Rollback.NONE);
    }

    /** The answer's body, e.g. to record as a failed claim's outcome. */
    static ObjectNode body(String message, Rollback rollback) {
        ObjectNode b = Json.object().put("error", message);
        if (rollback != Rollback.NONE) b.put("rollback", rollback == Rollback.COMPLETE ? "complete" : "incomplete");
        return b;
    }

    private static MediatorResponse fault(int status, String message, Rollback rollback) {
        return MediatorResponse.failed(status, body(message, rollback), message);
    }

    private static MediatorResponse rejected(int status, String message, Rollback rollback) {
        return MediatorResponse.json(MediatorStatus.FAILED, status, body(message, rollback));
    }

    static String messageOf(Throwable t) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
