package org.chis.common.work;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.Locale;
import org.chis.common.config.ConfigException;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.audit.TransactionContext;
import org.chis.common.saga.Compensators;
import org.chis.common.saga.SagaRecovery;
import org.chis.common.store.Ledger;
import org.chis.common.store.StateStore;
import org.chis.common.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up after a crash: undo the sagas the dead process was running and free the claims they held, so a resend
 * is taken at once instead of answered "busy" until the lease runs out.
 *
 * <p>{@code db.replicas} (one key for the suite, a fact about the deployment) says who else uses the state database:
 * {@code single} (default): this process alone, so every RUNNING saga and every claim in progress is a dead run's;
 * each is undone and released. {@code many}: other replicas may be running young sagas right now; only sagas older
 * than the lease are undone, and claims wait for their lease. {@code forms.replicas} is read as a deprecated alias.
 *
 * <p>Releasing relies on the note {@link Idempotent} writes on every claim it takes with {@code single}: the claim
 * number (a claim taken over since has a higher one and is left alone) and the other claims the same work holds
 * (several claims per saga, e.g. an SMS message and the report it carries).
 */
public final class Recovery {
    private static final Logger log = LoggerFactory.getLogger(Recovery.class);
    public static final String REPLICAS = "db.replicas";
    static final String DEPRECATED_REPLICAS = "forms.replicas";
    /** Fields of the note on a claim in progress. */
    static final String CLAIM = "sagaClaim";
    static final String ALSO = "alsoClaimed";

    public enum Replicas { SINGLE, MANY }

    private final StateStore store;
    private final Replicas replicas;

    public Recovery(StateStore store, Replicas replicas) {
        this.store = store;
        this.replicas = replicas;
    }

    public static Recovery of(Settings s, StateStore store) { return new Recovery(store, replicas(s)); }

    /** {@code db.replicas}: single (default) or many; {@code forms.replicas} when only it is set. */
    public static Replicas replicas(Settings s) {
        String key = REPLICAS;
        String value = s.find(REPLICAS).orElse(null);
        if (value == null && s.find(DEPRECATED_REPLICAS).isPresent()) {
            key = DEPRECATED_REPLICAS;
            value = s.find(DEPRECATED_REPLICAS).get();
            log.warn("{} is deprecated: set {} (the same values) instead", DEPRECATED_REPLICAS, REPLICAS);
        }
        String v = value == null ? "single" : value.trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "single" -> Replicas.SINGLE;
            case "many" -> Replicas.MANY;
            default -> throw new ConfigException(key + ": '" + v + "' is neither 'single' nor 'many'");
        };
    }

    public Replicas replicas() { return replicas; }

    public boolean single() { return replicas == Replicas.SINGLE; }

    /** Claims taken through this recovery's {@link Idempotent}s are noted so this recovery can release them. */
    public Idempotent idempotent(String kind, Duration lease) { return new Idempotent(store, kind, lease, single()); }

    /**
     * At start-up, after the compensators are registered and before the endpoints listen: undoes interrupted sagas
     * (all with single, those older than {@code lease} with many) and, with single, releases the noted claims of
     * each saga undone and of every run of {@code kinds} that died before its saga began. Returns the sagas undone.
     */
    public int atStartUp(Compensators compensators, Duration lease, String... kinds) {
        SagaRecovery sagas = new SagaRecovery(store, compensators);
        TransactionContext tx = TransactionContext.detached(store.mediatorName() + "-recovery");
        Ledger ledger = store.ledger();
        int undone = single()
                ? sagas.onRecovered((sagaKey, complete) -> release(ledger, sagaKey)).recover(tx)
                : sagas.recover(tx, lease);
        if (undone > 0) log.warn("undid {} interrupted saga(s) from before the restart", undone);
        if (single()) {
            int released = 0;
            for (String kind : kinds) for (String key : ledger.inProgress(kind)) if (release(ledger, key)) released++;
            if (released > 0) log.warn("released {} claim(s) of runs that died before their saga began", released);
        }
        return undone;
    }

    /** Writes {@code note} on claim {@code claim} (still in progress); a store error is logged, the lease still runs out. */
    /**
     * The note a holder leaves on its claim: its claim number, so start-up recovery releases exactly this claim if the
     * process dies, and the last run's fields (e.g. "the fault reply went out"), so a rerun after a crash still reads
     * them in {@code Held.earlier()}.
     */
    static ObjectNode holderNote(int attempts, String lastOutcome) {
        ObjectNode note = Json.object();
        if (lastOutcome != null) {
            try {
                if (Json.parse(lastOutcome) instanceof ObjectNode last) {
                    last.fields().forEachRemaining(f -> {
                        if (!f.getKey().equals(CLAIM) && !f.getKey().equals(ALSO)) note.set(f.getKey(), f.getValue());
                    });
                }
            } catch (RuntimeException notJson) {
                // a plain-text outcome carries no fields to keep
            }
        }
        return note.put(CLAIM, attempts);
    }

    static void note(Ledger ledger, Ledger.Claim claim, ObjectNode note) {
        try {
            ledger.note(claim.key(), claim.attempts(), Json.write(note.put(CLAIM, claim.attempts())));
        } catch (StoreException e) {
            log.warn("ledger: could not note claim {} of {}: {}", claim.attempts(), claim.key(), e.getMessage());
        }
    }

    /**
     * Releases the claim of {@code key} if it is still in progress under the claim number its note recorded, with the
     * other claims the note lists (each only under its own noted number); true if the claim itself was released.
     */
    public static boolean release(Ledger ledger, String key) {
        Ledger.Entry e = ledger.find(key).orElse(null);
        if (e == null || e.status() != Ledger.Status.IN_PROGRESS || e.outcome() == null) return false;
        JsonNode note;
        try {
            note = Json.parse(e.outcome());
        } catch (RuntimeException notJson) {
            return false;
        }
        int attempts = note.path(CLAIM).asInt(0);
        if (attempts != e.attempts()) return false; // not noted by this claim's holder: leave it to the lease
        for (JsonNode other : note.path(ALSO)) ledger.release(other.path("key").asText(), other.path("attempts").asInt(0));
        boolean released = ledger.release(key, attempts);
        if (released) log.warn("claim {} of {} released: its holder died", attempts, key);
        return released;
    }
}
