package org.chis.common.saga;

import com.fasterxml.jackson.databind.JsonNode;
import org.chis.common.json.Json;
import org.chis.common.store.Ledger;
import org.chis.common.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * For a workflow whose saga has the same key as its ledger claim: once start-up {@link SagaRecovery} has undone a
 * saga the dead process was running, its claim is released at once, so the client's resend is taken now rather
 * than answered "being processed" until the lease runs out.
 *
 * <p>The holder {@link #note notes} its claim number on the claim before its saga starts;
 * {@link #afterRecovery} releases that claim number only (a claim taken over since has a higher number and is left
 * alone, as is one never noted). Use only where recovery undoes sagas of dead processes, e.g. a single instance
 * recovering every RUNNING saga at start-up.
 */
public final class ClaimRelease {
    private static final Logger log = LoggerFactory.getLogger(ClaimRelease.class);
    /** Field of the note (the claim's outcome while it is in progress). */
    static final String FIELD = "sagaClaim";

    private ClaimRelease() {}

    /**
     * Notes on {@code claim} (just taken: NEW or RETRY) that its holder runs the saga of the same key. Overwrites the
     * outcome an earlier failed attempt left on the row. A store error is logged: the lease still runs out.
     */
    public static void note(Ledger ledger, Ledger.Claim claim) {
        try {
            ledger.note(claim.key(), claim.attempts(), Json.write(Json.object().put(FIELD, claim.attempts())));
        } catch (StoreException e) {
            log.warn("ledger: could not note claim {} of {}: {}", claim.attempts(), claim.key(), e.getMessage());
        }
    }

    /** A recovery listener releasing the noted claim of each saga recovery undid (see {@link #release}). */
    public static SagaRecovery.Listener afterRecovery(Ledger ledger) {
        return (sagaKey, complete) -> release(ledger, sagaKey);
    }

    /**
     * For a single instance at start-up, after recovery: releases every noted claim of {@code kind} still in progress
     * (its holder died before its saga's first step, so recovery found nothing to undo). Returns how many.
     */
    public static int releaseDead(Ledger ledger, String kind) {
        int released = 0;
        for (String key : ledger.inProgress(kind)) if (release(ledger, key)) released++;
        return released;
    }

    /**
     * Releases the claim of key {@code sagaKey} if it is still in progress under the claim number {@link #note}
     * recorded; true if released.
     */
    public static boolean release(Ledger ledger, String sagaKey) {
        Ledger.Entry e = ledger.find(sagaKey).orElse(null);
        if (e == null || e.status() != Ledger.Status.IN_PROGRESS || e.outcome() == null) return false;
        JsonNode note;
        try {
            note = Json.parse(e.outcome());
        } catch (RuntimeException notJson) {
            return false;
        }
        int attempts = note.path(FIELD).asInt(0);
        if (attempts != e.attempts()) return false; // not noted by this claim's holder: leave it to the lease
        boolean released = ledger.release(sagaKey, attempts);
        if (released) log.warn("claim {} of {} released after its interrupted saga was undone", attempts, sagaKey);
        return released;
    }
}
