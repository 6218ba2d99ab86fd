package org.chis.common.ops;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.chis.common.json.Json;
import org.chis.common.store.FailedEvent;
import org.chis.common.store.Sql;
import org.chis.common.store.StateStore;

/**
 * What an operator may do to a mediator's state without SQL: see parked feed entries, stuck claims and feed
 * markers; retry or skip a parked entry, reset a marker, release a claim. Nothing is deleted without a trace:
 * every action writes an audit row into the ledger (kind {@code ops-<action>}, status SUCCEEDED, key
 * {@code ops:<action>:<uuid>}) with who, why and what was there before (a skipped entry's payload and last error,
 * a reset marker's old value), so the ledger needs no new table and the store's schema stays as it is.
 */
public final class OperatorActions {
    public static final String AUDIT_KIND_PREFIX = "ops-";

    /** A feed as the operator sees it: its marker, how many entries are parked, and whether that stops it. */
    public record Feed(String feed, String marker, Instant markerUpdatedAt, int parked) {}

    public record Claim(String key, String kind, String status, int attempts, Instant leaseUntil, Instant createdAt, Instant updatedAt, String outcome) {}

    /** Who did it and why; both end up in the audit row. */
    public record Actor(String by, String reason) {}

    private final StateStore store;
    private final Clock clock;

    public OperatorActions(StateStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** Every feed with a marker or parked entries (lock-only rows, whose marker is NULL, are not feeds). */
    public List<Feed> feeds() {
        return store.inTransaction(c -> {
            List<Feed> out = new ArrayList<>();
            try (PreparedStatement ps = Sql.prepare(c, "SELECT f.feed, m.marker, m.updated_at, (SELECT COUNT(*) FROM failed_event e WHERE e.feed = f.feed) AS parked"
                    + " FROM (SELECT feed FROM feed_marker WHERE marker IS NOT NULL UNION SELECT feed FROM failed_event) f"
                    + " LEFT JOIN feed_marker m ON m.feed = f.feed ORDER BY f.feed");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(new Feed(rs.getString(1), rs.getString(2), instant(rs, 3), rs.getInt(4)));
            }
            return out;
        });
    }

    /** Parked entries, oldest first; {@code feed} null = all feeds. */
    public List<FailedEvent> failedEvents(String feed, int limit) {
        return store.inTransaction(c -> {
            List<FailedEvent> out = new ArrayList<>();
            try (PreparedStatement ps = feed == null
                    ? Sql.prepare(c, "SELECT * FROM failed_event ORDER BY id")
                    : Sql.prepare(c, "SELECT * FROM failed_event WHERE feed = ? ORDER BY id", feed)) {
                ps.setMaxRows(limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) out.add(failedEvent(rs));
                }
            }
            return out;
        });
    }

    public Optional<FailedEvent> failedEvent(long id) {
        return store.inTransaction(c -> find(c, id, false));
    }

    /** Makes a parked entry due now: the feed's next poll retries it (in its patient's order). Empty when unknown. */
    public Optional<FailedEvent> retry(long id, Actor actor) {
        return store.inTransaction(c -> {
            Optional<FailedEvent> ev = find(c, id, true);
            if (ev.isEmpty()) return ev;
            Instant now = clock.instant();
            Sql.update(c, "UPDATE failed_event SET next_attempt_at = ? WHERE id = ?", now, id);
            audit(c, "retry", actor, eventJson(ev.get(), false));
            return find(c, id, false);
        });
    }

    /**
     * Gives up on a parked entry: it leaves {@code failed_event} (so it no longer counts towards the feed's cap nor
     * holds back its patient's later entries) and its payload, error and attempts go into the audit row. Empty when unknown.
     */
    public Optional<FailedEvent> skip(long id, Actor actor) {
        return store.inTransaction(c -> {
            Optional<FailedEvent> ev = find(c, id, true);
            if (ev.isEmpty()) return ev;
            audit(c, "skip", actor, eventJson(ev.get(), true));
            Sql.update(c, "DELETE FROM failed_event WHERE id = ?", id);
            return ev;
        });
    }

    /** Sets a feed's marker; the old one is kept in the audit row so the reset can be undone. Empty when the feed is unknown. */
    public Optional<String> resetMarker(String feed, String marker, Actor actor) {
        return store.inTransaction(c -> {
            Optional<String> old = one(c, "SELECT marker FROM feed_marker WHERE feed = ? AND marker IS NOT NULL FOR UPDATE", feed);
            if (old.isEmpty()) return old;
            Sql.update(c, "UPDATE feed_marker SET marker = ?, updated_at = ? WHERE feed = ?", marker, clock.instant(), feed);
            audit(c, "reset-marker", actor, Json.object().put("feed", feed).put("oldMarker", old.get()).put("newMarker", marker));
            return old;
        });
    }

    /** Claims still in progress whose last change is older than {@code age}, oldest first. */
    public List<Claim> stuckClaims(Duration age, int limit) {
        Instant before = clock.instant().minus(age);
        return store.inTransaction(c -> {
            List<Claim> out = new ArrayList<>();
            try (PreparedStatement ps = Sql.prepare(c, "SELECT * FROM ledger WHERE status = 'IN_PROGRESS' AND updated_at < ? ORDER BY updated_at", before)) {
                ps.setMaxRows(limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) out.add(claim(rs));
                }
            }
            return out;
        });
    }

    public Optional<Claim> claim(String key) {
        return store.inTransaction(c -> {
            try (PreparedStatement ps = Sql.prepare(c, "SELECT * FROM ledger WHERE source_key = ?", key); ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(claim(rs)) : Optional.<Claim>empty();
            }
        });
    }

    /**
     * Releases a claim in progress as if its holder had failed (the outcome is kept): the next resend or poll takes the
     * key at once instead of waiting for the lease. Only that very claim (same attempt number) is released; true if it was.
     */
    public boolean release(Claim seen, Actor actor) {
        return store.inTransaction(c -> {
            boolean released = Sql.update(c, "UPDATE ledger SET status = 'FAILED', lease_until = NULL, updated_at = ?"
                    + " WHERE source_key = ? AND status = 'IN_PROGRESS' AND attempts = ?", clock.instant(), seen.key(), seen.attempts()) == 1;
            if (released) {
                audit(c, "release-claim", actor, Json.object().put("key", seen.key()).put("kind", seen.kind()).put("attempts", seen.attempts())
                        .put("claimedSince", String.valueOf(seen.updatedAt())));
            }
            return released;
        });
    }

    /** The latest operator actions, newest first. */
    public List<ObjectNode> audit(int limit) {
        return store.inTransaction(c -> {
            List<ObjectNode> out = new ArrayList<>();
            try (PreparedStatement ps = Sql.prepare(c, "SELECT * FROM ledger WHERE kind LIKE 'ops-%' ORDER BY created_at DESC, source_key")) {
                ps.setMaxRows(limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ObjectNode row = (ObjectNode) Json.parse(rs.getString("outcome"));
                        out.add(row);
                    }
                }
            }
            return out;
        });
    }

    private void audit(Connection c, String action, Actor actor, ObjectNode what) throws SQLException {
        Instant now = clock.instant();
        ObjectNode row = Json.object().put("action", action).put("by", actor.by()).put("reason", actor.reason()).put("at", now.toString());
        row.set("target", what);
        Sql.update(c, "INSERT INTO ledger (source_key, kind, status, outcome, attempts, lease_until, created_at, updated_at)"
                + " VALUES (?, ?, 'SUCCEEDED', ?, 1, NULL, ?, ?)", "ops:" + action + ":" + UUID.randomUUID(), AUDIT_KIND_PREFIX + action,
                Json.write(row), now, now);
    }

    static ObjectNode eventJson(FailedEvent e, boolean withPayload) {
        ObjectNode o = Json.object().put("id", e.id()).put("feed", e.feed()).put("entryId", e.entryId()).put("subject", e.subject())
                .put("attempts", e.attempts()).put("nextAttemptAt", String.valueOf(e.nextAttemptAt())).put("lastError", e.lastError())
                .put("parkedAt", String.valueOf(e.createdAt()));
        if (withPayload) o.put("payload", e.payload());
        return o;
    }

    private static Optional<FailedEvent> find(Connection c, long id, boolean lock) throws SQLException {
        try (PreparedStatement ps = Sql.prepare(c, "SELECT * FROM failed_event WHERE id = ?" + (lock ? " FOR UPDATE" : ""), id);
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(failedEvent(rs)) : Optional.empty();
        }
    }

    private static Optional<String> one(Connection c, String sql, Object... params) throws SQLException {
        return Sql.one(c, sql, rs -> rs.getString(1), params);
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    private static FailedEvent failedEvent(ResultSet rs) throws SQLException {
        return new FailedEvent(rs.getLong("id"), rs.getString("feed"), rs.getString("entry_id"), rs.getString("subject"),
                rs.getString("payload"), rs.getInt("attempts"), Sql.instant(rs, "next_attempt_at"), rs.getString("last_error"),
                Sql.instant(rs, "created_at"));
    }

    private static Claim claim(ResultSet rs) throws SQLException {
        return new Claim(rs.getString("source_key"), rs.getString("kind"), rs.getString("status"), rs.getInt("attempts"), Sql.instant(rs, "lease_until"),
                Sql.instant(rs, "created_at"), Sql.instant(rs, "updated_at"), rs.getString("outcome"));
    }
}
