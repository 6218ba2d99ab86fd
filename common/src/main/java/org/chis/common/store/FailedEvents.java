package org.chis.common.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * Parked feed events. A failed event blocks later events of the same subject (patient) so they are applied
 * in order ("last one wins"); other subjects go on. Retried when due; resolved (deleted) once applied.
 */
public final class FailedEvents {
    private final StateStore store;
    private final Clock clock;

    FailedEvents(StateStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** Parks an event, or for one parked already counts another attempt and keeps the latest error. */
    public void record(String feed, String entryId, String subject, String payload, String error, Instant nextAttempt) {
        store.withConnection(c -> {
            record(c, feed, entryId, subject, payload, error, nextAttempt);
            return null;
        });
    }

    /** As above, inside the caller's transaction (with the marker advance that skips past the event). */
    public void record(Connection c, String feed, String entryId, String subject, String payload, String error,
                       Instant nextAttempt) throws SQLException {
        for (int attempt = 0; attempt < 3; attempt++) {
            if (Sql.update(c, "UPDATE failed_event SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, payload = ?"
                    + " WHERE feed = ? AND entry_id = ?", error, nextAttempt, payload, feed, entryId) == 1) return;
            if (Sql.tryInsert(c, "INSERT INTO failed_event (feed, entry_id, subject, payload, attempts, next_attempt_at, last_error, created_at)"
                    + " VALUES (?, ?, ?, ?, 1, ?, ?, ?)", feed, entryId, subject, payload, nextAttempt, error, clock.instant())) return;
        }
        throw new StoreException("failed events: could not record " + feed + "/" + entryId + " (concurrent writers)");
    }

    /** Events whose next attempt is due, oldest first (id order = the order they failed in). */
    public List<FailedEvent> due(String feed, Instant now, int limit) {
        return store.withConnection(c -> Sql.list(c, limit,
                "SELECT * FROM failed_event WHERE feed = ? AND next_attempt_at <= ? ORDER BY id", FailedEvents::event, feed, now));
    }

    /** All parked events of a feed, oldest first (for the operator and for tests). */
    public List<FailedEvent> all(String feed) {
        return store.withConnection(c -> Sql.list(c, "SELECT * FROM failed_event WHERE feed = ? ORDER BY id", FailedEvents::event, feed));
    }

    /** True when an event of this subject is parked: a later event of the same subject must wait (be parked too). */
    public boolean isBlocked(String feed, String subject) {
        if (subject == null) return false;
        return store.withConnection(c -> Sql.one(c, "SELECT 1 FROM failed_event WHERE feed = ? AND subject = ?",
                rs -> true, feed, subject).isPresent());
    }

    /** For a retry: true when an older parked event of the same subject must be applied first. */
    public boolean isBlockedBefore(String feed, String subject, long id) {
        if (subject == null) return false;
        return store.withConnection(c -> Sql.one(c, "SELECT 1 FROM failed_event WHERE feed = ? AND subject = ? AND id < ?",
                rs -> true, feed, subject, id).isPresent());
    }

    /** The event was applied: unpark it (and with it, its subject if it was the last one). */
    public void resolve(String feed, String entryId) {
        store.withConnection(c -> {
            resolve(c, feed, entryId);
            return null;
        });
    }

    public void resolve(Connection c, String feed, String entryId) throws SQLException {
        Sql.update(c, "DELETE FROM failed_event WHERE feed = ? AND entry_id = ?", feed, entryId);
    }

    public int count(String feed) {
        return store.withConnection(c -> Sql.one(c, "SELECT COUNT(*) FROM failed_event WHERE feed = ?",
                rs -> rs.getInt(1), feed).orElse(0));
    }

    private static FailedEvent event(ResultSet rs) throws SQLException {
        return new FailedEvent(rs.getLong("id"), rs.getString("feed"), rs.getString("entry_id"), rs.getString("subject"),
                rs.getString("payload"), rs.getInt("attempts"), Sql.instant(rs, "next_attempt_at"),
                rs.getString("last_error"), Sql.instant(rs, "created_at"));
    }
}
