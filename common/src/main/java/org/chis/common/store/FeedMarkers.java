package org.chis.common.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.time.Clock;
import java.util.Optional;
import java.util.function.BiPredicate;

/**
 * How far each feed has been read (the last entry id or page URL handled). The marker is advanced inside
 * the transaction that records the entry's outcome, so a crash never skips or repeats an entry silently.
 */
public final class FeedMarkers {
    private final StateStore store;
    private final Dialect dialect;
    private final String lockScope;
    private final Clock clock;

    FeedMarkers(StateStore store, Dialect dialect, String lockScope, Clock clock) {
        this.store = store;
        this.dialect = dialect;
        this.lockScope = lockScope;
        this.clock = clock;
    }

    public Optional<String> get(String feed) {
        return store.withConnection(c -> get(c, feed));
    }

    public Optional<String> get(Connection c, String feed) throws SQLException {
        return Sql.one(c, "SELECT marker FROM feed_marker WHERE feed = ?", rs -> rs.getString(1), feed);
    }

    /** Moves the feed's marker, inside the caller's transaction: rolled back with it. */
    public void advance(Connection c, String feed, String marker) throws SQLException {
        if (Sql.update(c, "UPDATE feed_marker SET marker = ?, updated_at = ? WHERE feed = ?", marker, clock.instant(), feed) == 1) return;
        if (Sql.tryInsert(c, "INSERT INTO feed_marker (feed, marker, updated_at) VALUES (?, ?, ?)", feed, marker, clock.instant())) return;
        Sql.update(c, "UPDATE feed_marker SET marker = ?, updated_at = ? WHERE feed = ?", marker, clock.instant(), feed);
    }

    /**
     * Compare-and-set inside the caller's transaction: moves the marker to {@code marker} only when there is none or
     * {@code newer.test(marker, current)} holds, deciding on the row locked ({@code SELECT ... FOR UPDATE}), so of two
     * transactions racing for one key the older value can never overwrite the newer. Returns whether it moved.
     */
    public boolean advanceIfNewer(Connection c, String feed, String marker, BiPredicate<String, String> newer) throws SQLException {
        if (c.getAutoCommit()) throw new IllegalStateException("advanceIfNewer needs a transaction (use inTransaction)");
        for (int attempt = 0; attempt < 3; attempt++) {
            Optional<String[]> row = Sql.one(c, "SELECT marker FROM feed_marker WHERE feed = ? FOR UPDATE", rs -> new String[] {rs.getString(1)}, feed);
            if (row.isPresent()) {
                String current = row.get()[0];
                if (current != null && !newer.test(marker, current)) return false;
                Sql.update(c, "UPDATE feed_marker SET marker = ?, updated_at = ? WHERE feed = ?", marker, clock.instant(), feed);
                return true;
            }
            // no row yet: a lost insert race means another transaction created it; read and compare again
            if (Sql.tryInsert(c, "INSERT INTO feed_marker (feed, marker, updated_at) VALUES (?, ?, ?)", feed, marker, clock.instant())) return true;
        }
        throw new SQLException("feed marker " + feed + ": could neither insert nor read it");
    }

    /**
     * Tries to become the one replica reading {@code feed} until the caller's transaction ends; returns false
     * at once when another transaction holds it. PostgreSQL: a transaction-scoped advisory lock; H2: a row
     * lock on the feed's marker row (created, committed, if absent). Call it first in the transaction.
     */
    public boolean tryLock(Connection c, String feed) throws SQLException {
        if (c.getAutoCommit()) throw new IllegalStateException("tryLock needs a transaction: the lock ends with it (use inTransaction)");
        return dialect == Dialect.POSTGRESQL ? advisoryLock(c, feed) : rowLock(c, feed);
    }

    private boolean advisoryLock(Connection c, String feed) throws SQLException {
        return Sql.one(c, "SELECT pg_try_advisory_xact_lock(?)", rs -> rs.getBoolean(1), lockKey(lockScope, feed)).orElse(false);
    }

    private boolean rowLock(Connection c, String feed) throws SQLException {
        boolean exists = Sql.one(c, "SELECT 1 FROM feed_marker WHERE feed = ?", rs -> true, feed).isPresent();
        if (!exists && !ensureMarkerRow(feed)) return false;
        // SKIP LOCKED answers at once; a lock wait would time out, and the pool closes a connection that timed out
        return Sql.one(c, "SELECT feed FROM feed_marker WHERE feed = ? FOR UPDATE SKIP LOCKED", rs -> true, feed).isPresent();
    }

    /**
     * The row to lock must exist and be committed. Created on a connection of its own: when another holder's
     * transaction is inserting it right now we wait on that connection, never on the caller's.
     */
    private boolean ensureMarkerRow(String feed) {
        try {
            return store.withConnection(own -> {
                Sql.tryInsert(own, "INSERT INTO feed_marker (feed, marker, updated_at) VALUES (?, NULL, ?)", feed, clock.instant());
                return true;
            });
        } catch (StoreException e) {
            if (e.getCause() instanceof SQLTimeoutException) return false; // its inserter holds the feed
            throw e;
        }
    }

    /** A stable 64-bit key per (schema, feed): advisory locks are shared by the whole database. */
    static long lockKey(String scope, String feed) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest((scope + "/feed/" + feed).getBytes(StandardCharsets.UTF_8));
            long k = 0;
            for (int i = 0; i < 8; i++) k = (k << 8) | (d[i] & 0xff);
            return k;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
