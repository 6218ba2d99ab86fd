package org.chis.common.work;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorStatus;
import org.chis.common.audit.TransactionContext;
import org.chis.common.store.Ledger;
import org.chis.common.store.StateStore;
import org.chis.common.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The room every endpoint goes through: claim the item's source key in the ledger, then
 * <ul>
 *   <li>done before: replay the recorded outcome, {@code Completed} 200 with {@code duplicate: true} in the body and
 *       the transaction property {@code duplicate} ({@link #duplicate});</li>
 *   <li>another run holds it: {@link #busy} (503 + {@code error} + {@code Retry-After}, so core's auto-retry and the
 *       client's own retry come back later);</li>
 *   <li>ours: run the work, which records its outcome (and its own rows, in the same DB transaction) through
 *       {@link Held#succeed}; a Failed answer not recorded is recorded as the failure, and any exception fails the
 *       claim so a rerun can take it.</li>
 * </ul>
 * Busy is 503, not 409: 409 already means "conflicts with what is there" (ambiguous patient, an illegal status
 * change, DHIS2 refusing data), which sending again cannot fix; 503 with Retry-After is HTTP's "come back later".
 */
public final class Idempotent {
    private static final Logger log = LoggerFactory.getLogger(Idempotent.class);
    public static final Duration RETRY_AFTER = Duration.ofSeconds(30);

    private final StateStore store;
    private final String kind;
    private final Duration lease;
    private final boolean noteClaims;
    private final Duration retryAfter;

    Idempotent(StateStore store, String kind, Duration lease, boolean noteClaims) {
        this(store, kind, lease, noteClaims, RETRY_AFTER);
    }

    private Idempotent(StateStore store, String kind, Duration lease, boolean noteClaims, Duration retryAfter) {
        this.store = store;
        this.kind = kind;
        this.lease = lease;
        this.noteClaims = noteClaims;
        this.retryAfter = retryAfter;
    }

    /** The same with another Retry-After on the busy answer. */
    public Idempotent retryAfter(Duration d) { return new Idempotent(store, kind, lease, noteClaims, d); }

    public Duration retryAfter() { return retryAfter; }

    public Duration lease() { return lease; }

    public String kind() { return kind; }

    /** The work of a claim this request holds. */
    @FunctionalInterface
    public interface Work {
        MediatorResponse run(Held held) throws Exception;
    }

    /** The endpoint's own rows, written in the transaction that records the outcome. */
    @FunctionalInterface
    public interface Rows {
        void write(Connection c) throws SQLException;
    }

    /** What {@link #take} found. */
    public sealed interface Taken permits Done, Busy, Held {}

    /** Done before: {@code outcome} is what was recorded (JSON). */
    public record Done(String key, String outcome) implements Taken {}

    /** Another run holds the key right now. */
    public record Busy(String key) implements Taken {}

    /**
     * Claims {@code key}, answers a duplicate or busy request, or runs {@code work} holding the claim.
     * {@code what} names the item in messages ("form 123", "referral r-1").
     */
    public MediatorResponse run(TransactionContext tx, String key, String what, Work work) throws Exception {
        Taken taken = take(key);
        if (taken instanceof Done d) return duplicate(tx, d.outcome(), what + " was already done; nothing written");
        if (taken instanceof Busy) return busy(what + " is being processed by another request right now; retry later", retryAfter);
        Held held = (Held) taken;
        MediatorResponse r;
        try {
            r = work.run(held);
        } catch (Exception | Error e) {
            held.fail(Json.object().put("error", Failures.messageOf(e)));
            throw e;
        }
        if (!held.finished) {
            if (r.status() == MediatorStatus.FAILED) held.fail(r.body());
            else if (!held.succeededInCaller) held.succeed(r.body(), null);
        }
        return r;
    }

    /** Claims {@code key}: {@link Done}, {@link Busy}, or {@link Held} (this caller must run the work and finish it). */
    public Taken take(String key) {
        // the holder's note goes in with the claim itself: one commit, not two
        Ledger.Claim claim = noteClaims ? store.ledger().claim(key, kind, lease, (n, last) -> Json.write(Recovery.holderNote(n, last)))
                : store.ledger().claim(key, kind, lease);
        return switch (claim.result()) {
            case DONE -> new Done(key, claim.outcome());
            case IN_PROGRESS -> new Busy(key);
            case NEW, RETRY -> new Held(store, claim, noteClaims);
        };
    }

    /** The answer to a request already done: its recorded outcome, {@code duplicate: true}, Completed 200. */
    public static MediatorResponse duplicate(TransactionContext tx, String recordedOutcome, String message) {
        JsonNode recorded = recordedOutcome == null ? null : Json.parse(recordedOutcome);
        ObjectNode body = recorded instanceof ObjectNode o ? o : Json.object();
        return MediatorResponse.completed(markDuplicate(tx, body, message));
    }

    /** Marks {@code body} (a recorded outcome) and the transaction as a duplicate; returns {@code body}. */
    public static ObjectNode markDuplicate(TransactionContext tx, ObjectNode body, String message) {
        tx.property("duplicate", true);
        body.put("duplicate", true);
        if (message != null) body.put("message", message);
        return body;
    }

    /** The answer while another run holds the key: Failed 503 with {@code error} and {@code Retry-After}. */
    public static MediatorResponse busy(String message, Duration retryAfter) {
        return MediatorResponse.failed(503, message).header("Retry-After", String.valueOf(Math.max(1, retryAfter.toSeconds())));
    }

    /**
     * Thrown where a claim deep inside a larger piece of work (a feed entry in a poll) is held by another run; the
     * endpoint answers it with {@link #busy}.
     */
    public static final class HeldElsewhere extends RuntimeException {
        public HeldElsewhere(String message) { super(message); }
    }

    /** A claim this request holds: finish it once with {@link #succeed} or {@link #fail}. */
    public static final class Held implements Taken {
        private final StateStore store;
        private final Ledger.Claim claim;
        private final boolean noting;
        private final ObjectNode note;
        private final List<Ledger.Claim> also = new ArrayList<>();
        private volatile boolean finished;
        private volatile boolean succeededInCaller;

        Held(StateStore store, Ledger.Claim claim, boolean noting) {
            this.store = store;
            this.claim = claim;
            this.noting = noting;
            // the same note the claim left on the row (Recovery.holderNote), kept to add further claims to it
            this.note = Recovery.holderNote(claim.attempts(), claim.result() == Ledger.ClaimResult.RETRY ? claim.outcome() : null);
        }

        /** The ledger's claim (what {@link org.chis.common.saga.Saga#run} takes). */
        public Ledger.Claim claim() { return claim; }

        public String key() { return claim.key(); }

        /** 1 for the first run of the key, more for each rerun. */
        public int attempts() { return claim.attempts(); }

        /** What the last run recorded when this is a rerun of a failed or dead one (its failure or its note), else null. */
        public JsonNode earlier() {
            if (claim.result() != Ledger.ClaimResult.RETRY || claim.outcome() == null) return null;
            try {
                return Json.parse(claim.outcome());
            } catch (RuntimeException notJson) {
                return null;
            }
        }

        /**
         * Claims a second key for the same work (e.g. the report an SMS carries), noted with this one so start-up
         * recovery releases both, and failed with this one. The caller succeeds it in its own rows.
         */
        public Ledger.Claim claimAlso(String key, String kind, Duration lease) {
            Ledger.Claim other = store.ledger().claim(key, kind, lease);
            if (other.owned()) {
                also.add(other);
                if (noting) {
                    note.withArray(Recovery.ALSO).addObject().put("key", key).put("attempts", other.attempts());
                    Recovery.note(store.ledger(), claim, note);
                }
            }
            return other;
        }

        /** Records the outcome duplicates are answered with, and {@code rows} (may be null), in one DB transaction. */
        public void succeed(JsonNode outcome, Rows rows) { succeed(() -> Json.write(outcome), rows); }

        public void succeed(String outcomeJson, Rows rows) { succeed(() -> outcomeJson, rows); }

        private void succeed(Supplier<String> outcome, Rows rows) {
            // written after the rows, in the same transaction: what they add to the outcome (a warning) is recorded too
            store.inTransaction(c -> {
                if (rows != null) rows.write(c);
                store.ledger().succeed(c, claim.key(), outcome.get());
                return null;
            });
            finished = true;
        }

        /**
         * As {@link #succeed(JsonNode, Rows)}, inside the caller's transaction {@code c} (e.g. the one that ends the
         * work's saga, see {@code Saga.run(..., atEnd)}): no commit of its own. The work's answer then counts as
         * recorded unless it is Failed (that transaction did not commit), which is recorded as the failure.
         */
        public void succeed(Connection c, JsonNode outcome, Rows rows) throws SQLException {
            if (rows != null) rows.write(c);
            store.ledger().succeed(c, claim.key(), Json.write(outcome));
            succeededInCaller = true;
        }

        /** Records a failure (the next claim gets a rerun); a store error is logged: the lease runs out anyway. */
        public void fail(JsonNode outcome) { fail(Json.write(outcome)); }

        public void fail(String outcomeJson) {
            for (Ledger.Claim other : also) failQuietly(other.key(), Json.write(Json.object().put("error", "with " + claim.key())));
            failQuietly(claim.key(), outcomeJson);
            finished = true;
        }

        public boolean finished() { return finished; }

        private void failQuietly(String key, String outcome) {
            try {
                store.ledger().fail(key, outcome);
            } catch (RuntimeException e) {
                log.warn("ledger: could not record the failure of {}: {}", key, e.getMessage());
            }
        }
    }
}
