package org.chis.common.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Small JDBC helpers shared by the DAOs (the store's and the mediators' own tables): parameter binding (Instant as
 * TIMESTAMP WITH TIME ZONE on both engines), row mapping, portable "insert unless it exists".
 */
public final class Sql {
    /** SQLState of a unique/primary key violation, the same on H2 and PostgreSQL. */
    public static final String UNIQUE_VIOLATION = "23505";

    private Sql() {}

    public interface Row<T> {
        T map(ResultSet rs) throws SQLException;
    }

    public static boolean isUniqueViolation(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && UNIQUE_VIOLATION.equals(s.getSQLState())) return true;
        }
        return false;
    }

    public static int update(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, params)) {
            return ps.executeUpdate();
        }
    }

    /**
     * Inserts a row; returns false when a row with the same unique key exists. Inside a transaction the
     * insert runs under a savepoint, because PostgreSQL aborts the whole transaction on a violation.
     */
    public static boolean tryInsert(Connection c, String sql, Object... params) throws SQLException {
        Savepoint sp = c.getAutoCommit() ? null : c.setSavepoint();
        try (PreparedStatement ps = prepare(c, sql, params)) {
            ps.executeUpdate();
            if (sp != null) c.releaseSavepoint(sp);
            return true;
        } catch (SQLException e) {
            if (!isUniqueViolation(e)) throw e;
            if (sp != null) c.rollback(sp);
            return false;
        }
    }

    public static <T> List<T> list(Connection c, String sql, Row<T> row, Object... params) throws SQLException {
        return list(c, 0, sql, row, params);
    }

    /** maxRows instead of LIMIT/FETCH FIRST: the one row limit both engines and drivers honour the same way. */
    public static <T> List<T> list(Connection c, int maxRows, String sql, Row<T> row, Object... params) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, params)) {
            if (maxRows > 0) ps.setMaxRows(maxRows);
            try (ResultSet rs = ps.executeQuery()) {
                List<T> out = new ArrayList<>();
                while (rs.next()) out.add(row.map(rs));
                return out;
            }
        }
    }

    /** The first row's value; empty when there is no row or the value is NULL. */
    public static <T> Optional<T> one(Connection c, String sql, Row<T> row, Object... params) throws SQLException {
        List<T> rows = list(c, 1, sql, row, params);
        return rows.isEmpty() ? Optional.empty() : Optional.ofNullable(rows.get(0));
    }

    public static PreparedStatement prepare(Connection c, String sql, Object... params) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        try {
            for (int i = 0; i < params.length; i++) {
                Object p = params[i];
                // OffsetDateTime is the JDBC 4.2 type of TIMESTAMP WITH TIME ZONE on both drivers; Instant is not
                if (p instanceof Instant at) p = OffsetDateTime.ofInstant(at, ZoneOffset.UTC);
                else if (p instanceof Enum<?> e) p = e.name();
                ps.setObject(i + 1, p);
            }
            return ps;
        } catch (SQLException | RuntimeException e) {
            ps.close();
            throw e;
        }
    }

    public static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    public static Integer intOrNull(ResultSet rs, String column) throws SQLException {
        int v = rs.getInt(column);
        return rs.wasNull() ? null : v;
    }
}
