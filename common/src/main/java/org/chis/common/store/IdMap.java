package org.chis.common.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Source id <-> target id pairs per namespace (e.g. {@code case->patient}: CommCare case id <-> OpenMRS
 * patient uuid). One target per source and one source per target within a namespace.
 */
public final class IdMap {
    private final StateStore store;
    private final Clock clock;

    IdMap(StateStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /**
     * Maps {@code sourceId} to {@code targetId}. Idempotent; a new target for a known source replaces the old.
     *
     * @throws IllegalStateException if the target is already mapped from a different source
     */
    public void put(String namespace, String sourceId, String targetId) {
        store.withConnection(c -> {
            put(c, namespace, sourceId, targetId);
            return null;
        });
    }

    /** As {@link #put(String, String, String)}, inside the caller's transaction. */
    public void put(Connection c, String namespace, String sourceId, String targetId) throws SQLException {
        // update-then-insert (portable, no vendor upsert); a lost insert race means the row exists now: update again
        for (int attempt = 0; attempt < 3; attempt++) {
            Optional<String> owner = source(c, namespace, targetId);
            if (owner.isPresent()) {
                if (owner.get().equals(sourceId)) return;
                throw new IllegalStateException("id map " + namespace + ": " + targetId + " is already mapped from "
                        + owner.get() + ", cannot map it from " + sourceId);
            }
            if (Sql.update(c, "UPDATE id_map SET target_id = ? WHERE namespace = ? AND source_id = ?",
                    targetId, namespace, sourceId) == 1) return;
            if (Sql.tryInsert(c, "INSERT INTO id_map (namespace, source_id, target_id, created_at) VALUES (?, ?, ?, ?)",
                    namespace, sourceId, targetId, clock.instant())) return;
        }
        throw new StoreException("id map " + namespace + ": could not store " + sourceId + " -> " + targetId + " (concurrent writers)");
    }

    public Optional<String> target(String namespace, String sourceId) {
        return store.withConnection(c -> target(c, namespace, sourceId));
    }

    public Optional<String> target(Connection c, String namespace, String sourceId) throws SQLException {
        return Sql.one(c, "SELECT target_id FROM id_map WHERE namespace = ? AND source_id = ?",
                rs -> rs.getString(1), namespace, sourceId);
    }

    public Optional<String> source(String namespace, String targetId) {
        return store.withConnection(c -> source(c, namespace, targetId));
    }

    public Optional<String> source(Connection c, String namespace, String targetId) throws SQLException {
        return Sql.one(c, "SELECT source_id FROM id_map WHERE namespace = ? AND target_id = ?",
                rs -> rs.getString(1), namespace, targetId);
    }

    /** Every source -> target pair of a namespace, by source id, at most {@code max} (a scan: for batch jobs, not per request). */
    public List<Map.Entry<String, String>> pairs(String namespace, int max) {
        return store.withConnection(c -> Sql.list(c, max, "SELECT source_id, target_id FROM id_map WHERE namespace = ? ORDER BY source_id",
                rs -> Map.entry(rs.getString(1), rs.getString(2)), namespace));
    }
}
