package org.chis.common.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.chis.common.config.ConfigException;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.FileStore;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compacts an H2 file store from a daemon thread. With WRITE_DELAY=0 (each commit written before it returns) H2 runs
 * no background writer, so nothing rewrites the live pages left in old chunks: chunks pile up at a few percent fill,
 * the file grows without bound and the layout map written on every commit grows with it. A round moves the live
 * pages of the emptiest chunks (at most {@link #STEP_BYTES} per step, under H2's store lock, so a commit waits at
 * most one step) and writes them in a store commit of its own; H2 reuses the emptied chunks' space once its
 * retention time (45 s) has passed. Commits stay as durable as before: a transaction's commit still takes the
 * store lock and writes its chunk before returning (MVStore.commit, which waits for a step to end).
 */
final class H2Compaction implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(H2Compaction.class);
    /** Live page bytes moved per step: a few ms of the store lock. */
    static final int STEP_BYTES = 1024 * 1024;

    /** When and how much: every {@code interval} (zero: never), up to {@code maxRound}, while fill rate < {@code fillRate}%. */
    record Policy(Duration interval, int fillRate, Duration maxRound) {
        Policy {
            if (fillRate < 1 || fillRate > 100) throw new ConfigException("db.h2.compactFillRate " + fillRate + ": a percentage, 1 to 100");
            if (maxRound.isNegative() || maxRound.isZero()) throw new ConfigException("db.h2.compactMaxMs " + maxRound.toMillis() + ": must be positive");
        }

        static final Policy DEFAULT = new Policy(Duration.ofMinutes(5), 50, Duration.ofSeconds(2));
    }

    /** What a round did: chunk fill rate (live share of chunk bytes, %) before and after, steps run, file size after. */
    record Round(int fillBefore, int fillAfter, int steps, long fileBytes) { }

    private final DataSource dataSource;
    private final Policy policy;
    private final ScheduledExecutorService timer;

    private H2Compaction(DataSource dataSource, Policy policy, String name) {
        this.dataSource = dataSource;
        this.policy = policy;
        if (policy.interval().isZero() || policy.interval().isNegative()) {
            this.timer = null;
            return;
        }
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "h2-compaction-" + name);
            t.setDaemon(true);
            t.setPriority(Thread.MIN_PRIORITY);
            return t;
        });
        long ms = policy.interval().toMillis();
        timer.scheduleWithFixedDelay(this::roundQuietly, ms, ms, TimeUnit.MILLISECONDS);
    }

    /** Starts the periodic rounds (none if the interval is zero). */
    static H2Compaction start(DataSource dataSource, Policy policy, String name) {
        return new H2Compaction(dataSource, policy, name);
    }

    private void roundQuietly() {
        try {
            Round r = round();
            if (r.steps() > 0) {
                log.info("H2 compaction: chunk fill rate {}% -> {}% in {} steps, file {} KB", r.fillBefore(), r.fillAfter(), r.steps(),
                        r.fileBytes() / 1024);
            }
        } catch (RuntimeException | SQLException e) { // the next round tries again; a commit never depends on this
            log.warn("H2 compaction round failed: {}", e.toString());
        }
    }

    /** One round now (the timer's, or a caller's): compacts until the fill rate target or the time budget is reached. */
    Round round() throws SQLException {
        // the connection keeps the database open for the round
        try (Connection c = dataSource.getConnection()) {
            MVStore mv = ((SessionLocal) c.unwrap(JdbcConnection.class).getSession()).getDatabase().getStore().getMvStore();
            FileStore<?> fs = mv.getFileStore();
            if (fs == null || mv.isClosed()) return new Round(100, 100, 0, 0);
            int before = fs.getChunksFillRate();
            int steps = 0;
            long deadline = System.nanoTime() + policy.maxRound().toNanos();
            while (fs.getChunksFillRate() < policy.fillRate() && System.nanoTime() < deadline) {
                // false: nothing left to move (or the store lock stayed busy for H2's 10 s): next round
                if (!mv.compact(policy.fillRate(), STEP_BYTES)) break;
                mv.commit();
                steps++;
            }
            return new Round(before, fs.getChunksFillRate(), steps, fs.size());
        }
    }

    @Override
    public void close() {
        if (timer == null) return;
        timer.shutdownNow();
        try {
            timer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
