package org.chis.common.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The idempotency ledger: one row per inbound item (source key), so a rerun or duplicate never writes twice.
 * A worker first {@link #claim claims} the key, does the work, then records {@link #succeed} or {@link #fail}.
 * A claim is a lease: if the worker dies, the key becomes claimable again once the lease runs out.
 * Lease times come from this process's clock, so replicas' clocks should be roughly in step (NTP).
 */
public final class Ledger {
    public enum Status { IN_PROGRESS, SUCCEEDED, FAILED }

    /** What a claim found. NEW and RETRY mean the caller owns the key now and must succeed or fail it. */
    public enum ClaimResult { NEW, DONE, IN_PROGRESS, RETRY }

    /**
     * @param attempts how many times the key has been claimed for work (1 for NEW)
     * @param outcome  the recorded outcome JSON when DONE; the last error/outcome when RETRY; else null
     */
    public record Claim(ClaimResult result, String key, int attempts, String outcome) {
        /** True when the caller now holds the key (NEW or RETRY) and must do the work. */
        public boolean owned() { return result == ClaimResult.NEW || result == ClaimResult.RETRY; }
    }

    public record Entry(String key, String kind, Status status, String outcome, int attempts,
                        Instant leaseUntil, Instant createdAt, Instant updatedAt) {}

    // a claim can lose a race to another replica a few times in a row; each loss means progress elsewhere
    private static final int MAX_RACES = 20;

    private final StateStore store;
    private final Clock clock;

    Ledger(StateStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /**
     * Claims {@code key} for {@code lease}. Atomic across threads and replicas: of several concurrent
     * claimers exactly one gets NEW/RETRY, the others IN_PROGRESS (or DONE once it succeeded).
     */
    public Claim claim(String key, String kind, Duration lease) { return claim(key, kind, lease, null); }

    /**
     * What the new holder writes on its claim (the row's outcome while IN_PROGRESS), from its claim number and the
     * last run's outcome (null on a first claim): written in the claim's own statement, so noting costs no commit.
     */
    @FunctionalInterface
    public interface HolderNote {
        String write(int attempts, String lastOutcome);
    }

    /** {@link #claim(String, String, Duration)}, leaving {@code note} on the row when this caller gets the key. */
    public Claim claim(String key, String kind, Duration lease, HolderNote note) {
        for (int race = 0; race < MAX_RACES; race++) {
            // a fresh connection per attempt: the pool closes one whose statement timed out on a row lock
            Claim claim = store.withConnection(c -> attempt(c, key, kind, lease, note));
            if (claim != null) return claim;
        }
        throw new StoreException("ledger: could not claim '" + key + "' after " + MAX_RACES + " concurrent attempts");
    }

    /** One try; null when another claimer changed the row between our read and our update. */
    private Claim attempt(Connection c, String key, String kind, Duration lease, HolderNote note) throws SQLException {
        Instant now = clock.instant();
        Instant until = now.plus(lease);
        if (Sql.tryInsert(c, "INSERT INTO ledger (source_key, kind, status, attempts, lease_until, created_at, updated_at, outcome)"
                + " VALUES (?, ?, ?, 1, ?, ?, ?, ?)", key, kind, Status.IN_PROGRESS, until, now, now,
                note == null ? null : note.write(1, null))) {
            return new Claim(ClaimResult.NEW, key, 1, null);
        }
        Optional<Entry> found = find(c, key);
        if (found.isEmpty()) return null; // deleted between our insert and read: try again
        Entry e = found.get();
        if (e.status() == Status.SUCCEEDED) return new Claim(ClaimResult.DONE, key, e.attempts(), e.outcome());
        if (e.status() == Status.IN_PROGRESS && e.leaseUntil() != null && e.leaseUntil().isAfter(now)) {
            return new Claim(ClaimResult.IN_PROGRESS, key, e.attempts(), null);
        }
        // failed before, or its holder's lease ran out: take it over only if nobody changed it since we read it
        return takeOver(c, e, until, now, note) ? new Claim(ClaimResult.RETRY, key, e.attempts() + 1, e.outcome()) : null;
    }

    private boolean takeOver(Connection c, Entry seen, Instant until, Instant now, HolderNote note) throws SQLException {
        try {
            if (note != null) {
                return Sql.update(c, "UPDATE ledger SET status = ?, attempts = attempts + 1, lease_until = ?, updated_at = ?, outcome = ?"
                        + " WHERE source_key = ? AND status = ? AND attempts = ?",
                        Status.IN_PROGRESS, until, now, note.write(seen.attempts() + 1, seen.outcome()),
                        seen.key(), seen.status(), seen.attempts()) == 1;
            }
            return Sql.update(c, "UPDATE ledger SET status = ?, attempts = attempts + 1, lease_until = ?, updated_at = ?"
                    + " WHERE source_key = ? AND status = ? AND attempts = ?",
                    Status.IN_PROGRESS, until, now, seen.key(), seen.status(), seen.attempts()) == 1;
        } catch (SQLException e) {
            // H2 may report a concurrent update of the same row instead of waiting and re-checking: lost the race
            if (isConcurrentUpdate(e)) return false;
            throw e;
        }
    }

    private static boolean isConcurrentUpdate(SQLException e) {
        String state = e.getSQLState();
        return "40001".equals(state) || "90131".equals(state) || e instanceof SQLTimeoutException;
    }

    /** Records success with the outcome (JSON: status, ids created) that duplicates will be answered with. */
    public void succeed(String key, String outcomeJson) {
        store.withConnection(c -> {
            succeed(c, key, outcomeJson);
            return null;
        });
    }

    /** As {@link #succeed(String, String)}, inside the caller's transaction (e.g. together with the id map). */
    public void succeed(Connection c, String key, String outcomeJson) throws SQLException {
        finish(c, key, Status.SUCCEEDED, outcomeJson);
    }

    /**
     * Writes a finished record without a claim, inside the caller's transaction: for a single runner (one feed poll at
     * a time) that applies again whatever has no SUCCEEDED record after a crash, a claim is one more commit per key
     * for nothing. A row already there (an earlier run's record or a dead claim) is finished, one attempt more.
     */
    public void record(Connection c, String key, String kind, Status status, String outcome) throws SQLException {
        Instant now = clock.instant();
        for (int race = 0; race < 2; race++) {
            if (Sql.update(c, "UPDATE ledger SET status = ?, outcome = ?, attempts = attempts + 1, lease_until = NULL, updated_at = ? WHERE source_key = ?",
                    status, outcome, now, key) == 1) return;
            if (Sql.tryInsert(c, "INSERT INTO ledger (source_key, kind, status, attempts, lease_until, created_at, updated_at, outcome)"
                    + " VALUES (?, ?, ?, 1, NULL, ?, ?, ?)", key, kind, status, now, now, outcome)) return;
        }
        throw new StoreException("ledger: could not record '" + key + "' (concurrent writers)");
    }

    /** Records failure; the next claim of the key gets RETRY. */
    public void fail(String key, String errorOrOutcomeJson) {
        store.withConnection(c -> {
            fail(c, key, errorOrOutcomeJson);
            return null;
        });
    }

    public void fail(Connection c, String key, String errorOrOutcomeJson) throws SQLException {
        finish(c, key, Status.FAILED, errorOrOutcomeJson);
    }

    private void finish(Connection c, String key, Status status, String outcome) throws SQLException {
        int n = Sql.update(c, "UPDATE ledger SET status = ?, outcome = ?, lease_until = NULL, updated_at = ? WHERE source_key = ?",
                status, outcome, clock.instant(), key);
        if (n == 0) throw new IllegalStateException("ledger: '" + key + "' was never claimed");
    }

    /**
     * Notes {@code outcomeJson} on a claim still in progress, e.g. what else the holder has claimed, so whoever
     * later {@link #release releases} it after a crash knows. Only the holder of claim number {@code attempts}
     * writes (a takeover after the lease ran out has a higher number); true if it did.
     */
    public boolean note(String key, int attempts, String outcomeJson) {
        return store.withConnection(c -> Sql.update(c, "UPDATE ledger SET outcome = ?, updated_at = ?"
                + " WHERE source_key = ? AND status = ? AND attempts = ?",
                outcomeJson, clock.instant(), key, Status.IN_PROGRESS, attempts) == 1);
    }

    /**
     * Releases claim number {@code attempts} of {@code key} before its lease runs out, as if its holder had
     * {@link #fail failed} (the outcome is kept): for start-up recovery, once it knows the holder died (e.g. it
     * undid the holder's interrupted saga), so a resend is taken at once. A claim taken over since (another
     * number) or finished is left alone; true if released.
     */
    public boolean release(String key, int attempts) {
        return store.withConnection(c -> Sql.update(c, "UPDATE ledger SET status = ?, lease_until = NULL, updated_at = ?"
                + " WHERE source_key = ? AND status = ? AND attempts = ?",
                Status.FAILED, clock.instant(), key, Status.IN_PROGRESS, attempts) == 1);
    }

    /** Keys of the claims of {@code kind} still in progress (e.g. for a single instance's start-up, where all are dead). */
    public List<String> inProgress(String kind) {
        return store.withConnection(c -> {
            List<String> keys = new ArrayList<>();
            try (var ps = c.prepareStatement("SELECT source_key FROM ledger WHERE kind = ? AND status = ? ORDER BY source_key")) {
                ps.setString(1, kind);
                ps.setString(2, Status.IN_PROGRESS.name());
                try (var rs = ps.executeQuery()) {
                    while (rs.next()) keys.add(rs.getString(1));
                }
            }
            return keys;
        });
    }

    public Optional<Entry> find(String key) {
        return store.withConnection(c -> find(c, key));
    }

    public Optional<Entry> find(Connection c, String key) throws SQLException {
        return Sql.one(c, "SELECT * FROM ledger WHERE source_key = ?", Ledger::entry, key);
    }

    private static Entry entry(ResultSet rs) throws SQLException {
        return new Entry(rs.getString("source_key"), rs.getString("kind"), Status.valueOf(rs.getString("status")),
                rs.getString("outcome"), rs.getInt("attempts"), Sql.instant(rs, "lease_until"),
                Sql.instant(rs, "created_at"), Sql.instant(rs, "updated_at"));
    }
}
