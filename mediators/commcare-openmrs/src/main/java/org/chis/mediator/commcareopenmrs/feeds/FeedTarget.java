package org.chis.mediator.commcareopenmrs.feeds;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.chis.common.audit.TransactionContext;
import org.chis.common.systems.openmrs.FeedEntry;

/**
 * Where a poll of the OpenMRS feeds writes (CommCare cases: {@link EntryApplier}; CHT people and reports: the cht
 * package). The poll ({@link FeedPoll}, {@link FeedBatch}) keeps the order per patient ({@link Lanes}), the marker
 * ({@link DonePrefix}), the ledger, parking ({@link FeedLedger}) and the breaker; a target applies one entry,
 * repeatably (a replay must not write twice).
 */
public interface FeedTarget {
    /** SKIPPED: outside the target's cohort, or a new patient in update-only mode (recorded and counted, not parked). */
    enum Result { CREATED, UPDATED, UNCHANGED, ECHO, GONE, SKIPPED }

    /** What applying an entry did: {@code subject} the patient uuid, {@code caseId} the target's id for it. */
    record Applied(Result result, String subject, String caseId, String detail) {}

    /** A later entry of a patient whose earlier entry is parked: it must wait behind it. */
    final class WaitingBehind extends RuntimeException {
        public WaitingBehind(String subject) { super("waiting behind an earlier failed entry of patient " + subject); }
    }

    /**
     * Prefix of this target's feed state names (marker, parked entries, poll lock) and ledger keys, so two targets
     * read the same OpenMRS feeds independently: "" for CommCare (the names it always had), e.g. "cht:" for CHT.
     */
    default String statePrefix() { return ""; }

    /** Starts reading the entry's resource on {@code pool} (null: nothing to read ahead). */
    CompletableFuture<Optional<JsonNode>> read(TransactionContext tx, FeedEntry entry, Executor pool);

    /**
     * Applies one entry. {@code subject} is set to the patient uuid as soon as known (failures are parked under it);
     * {@code ahead} is the resource read ahead, or null to read it now; {@code blocked} says whether a patient has
     * parked entries this one must wait behind ({@link WaitingBehind}; null = do not check).
     */
    Applied apply(TransactionContext tx, String feed, FeedEntry entry, CompletableFuture<Optional<JsonNode>> ahead,
                  AtomicReference<String> subject, Predicate<String> blocked);

    /**
     * Writes what the target keeps of an applied entry (e.g. its id map) in the transaction that records the entry,
     * so applying it costs no commit of its own; a crash before that commit applies the entry again.
     */
    default void keep(Connection c, Applied applied) throws SQLException {}
}
