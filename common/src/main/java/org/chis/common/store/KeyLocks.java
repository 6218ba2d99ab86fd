package org.chis.common.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One piece of work per key at a time (e.g. the forms of one person: two new forms of one new person must not both
 * create the patient). In the process: striped locks. On PostgreSQL also across every process on the database
 * (replicas behind a load balancer): a transaction-scoped advisory lock per key, held on a connection of a small
 * pool of its own for as long as the work runs. Its own pool because the work needs the state pool's connections
 * while it holds the lock: sharing one pool, N holders could take all N connections and wait for a second for ever.
 * A process that dies (kill -9) loses its connections, and PostgreSQL then drops its locks at once.
 *
 * <p>Several keys are taken in one order (stripes by index, advisory keys by value), so two holders never wait on
 * each other in a circle.
 */
public final class KeyLocks implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KeyLocks.class);
    private static final int STRIPES = 256;
    /** PostgreSQL's SQLSTATE for lock_timeout (lock_not_available). */
    private static final String LOCK_NOT_AVAILABLE = "55P03";

    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];
    private final String scope;
    private final Duration wait;
    private final HikariConfig poolConfig; // null: in-process only (H2)
    private volatile HikariDataSource pool;

    /** {@code poolConfig}: connections for advisory locks (PostgreSQL), null for in-process locks only (H2). */
    KeyLocks(String scope, Duration wait, HikariConfig poolConfig) {
        this.scope = scope;
        this.wait = wait;
        this.poolConfig = poolConfig;
        for (int i = 0; i < STRIPES; i++) stripes[i] = new ReentrantLock();
    }

    /** True when the locks hold across processes (PostgreSQL advisory locks), false in this process only (H2). */
    public boolean acrossProcesses() { return poolConfig != null; }

    /** How long {@link #tryLock} waits. */
    public Duration waitLimit() { return wait; }

    /** Held keys; {@link #close} releases them all. */
    public final class Held implements AutoCloseable {
        private final List<ReentrantLock> local;
        private final Connection connection;

        private Held(List<ReentrantLock> local, Connection connection) {
            this.local = local;
            this.connection = connection;
        }

        @Override
        public void close() {
            if (connection != null) {
                try (connection) {
                    connection.rollback(); // ends the transaction: its advisory locks go with it
                    connection.setAutoCommit(true);
                } catch (SQLException e) {
                    // closing a broken connection drops it (and with it the session's locks)
                    log.warn("key locks: releasing failed, connection dropped: {}", e.getMessage());
                }
            }
            for (int i = local.size() - 1; i >= 0; i--) local.get(i).unlock();
        }
    }

    /**
     * Takes every key of {@code space} (e.g. "patient") in {@code keys} (blank ones ignored), waiting at most
     * {@link #waitLimit}; null when they could not all be had in that time (nothing is held then).
     */
    public Held tryLock(String space, Collection<String> keys) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        TreeSet<Integer> stripeIndexes = new TreeSet<>();
        TreeSet<Long> advisory = new TreeSet<>();
        for (String k : keys) {
            if (k == null || k.isBlank()) continue;
            String full = space + "/" + k;
            stripeIndexes.add(Math.floorMod(full.hashCode(), STRIPES));
            advisory.add(lockKey(scope, full));
        }
        List<ReentrantLock> local = new ArrayList<>();
        boolean ok = false;
        try {
            for (int i : stripeIndexes) {
                ReentrantLock l = stripes[i];
                if (!l.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) return null;
                local.add(l);
            }
            Connection c = null;
            if (poolConfig != null && !advisory.isEmpty()) {
                c = advisoryLocks(advisory, deadline);
                if (c == null) return null;
            }
            ok = true;
            return new Held(local, c);
        } finally {
            if (!ok) for (int i = local.size() - 1; i >= 0; i--) local.get(i).unlock();
        }
    }

    /** A connection in a transaction holding every key's advisory lock, or null when the wait ran out. */
    private Connection advisoryLocks(TreeSet<Long> keys, long deadline) {
        long leftMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
        Connection c;
        try {
            c = pool().getConnection();
        } catch (SQLException e) {
            if (e.getSQLState() != null && e.getSQLState().startsWith("08")) throw new StoreException("state database: " + e.getMessage(), e);
            return null; // the pool's connection timeout: every lock connection is busy
        }
        try {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                leftMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
                st.execute("SET LOCAL lock_timeout = " + leftMs);
            }
            for (long k : keys) Sql.one(c, "SELECT pg_advisory_xact_lock(?)", rs -> true, k);
            return c;
        } catch (SQLException e) {
            try (c) {
                c.rollback();
                c.setAutoCommit(true);
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (LOCK_NOT_AVAILABLE.equals(e.getSQLState())) return null;
            throw new StoreException("state database: " + e.getMessage(), e);
        }
    }

    private HikariDataSource pool() {
        HikariDataSource p = pool;
        if (p != null) return p;
        synchronized (this) {
            if (pool == null) pool = new HikariDataSource(poolConfig);
            return pool;
        }
    }

    /** A stable 64-bit key per (schema, key): advisory locks are shared by the whole database. */
    static long lockKey(String scope, String key) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest((scope + "/" + key).getBytes(StandardCharsets.UTF_8));
            long k = 0;
            for (int i = 0; i < 8; i++) k = (k << 8) | (d[i] & 0xff);
            return k;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public synchronized void close() {
        if (pool != null) pool.close();
    }
}
