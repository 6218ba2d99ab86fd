package org.chis.common.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.chis.common.config.ConfigException;
import org.chis.common.config.Settings;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A mediator's durable state: the idempotency ledger, id map, feed markers, parked (failed) feed events
 * and the saga journal. An embedded H2 file under {@code data/} by default; a JDBC URL switches to
 * PostgreSQL, where each mediator keeps its own schema and several replicas may share one database.
 * Migrations: {@code db/common} (this module, versions below 100) plus {@code db/<mediator>} (versions >= 100).
 */
public final class StateStore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StateStore.class);
    private static final int H2_QUERY_CACHE = 64;
    private static final Pattern SCHEMA_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private final HikariDataSource dataSource;
    private final Dialect dialect;
    private final String mediatorName;
    private final Ledger ledger;
    private final IdMap idMap;
    private final FeedMarkers feedMarkers;
    private final FailedEvents failedEvents;
    private final SagaJournal sagaJournal;
    private final KeyLocks keyLocks;
    private final H2Compaction compaction;

    private StateStore(HikariDataSource dataSource, Dialect dialect, String mediatorName, String lockScope, KeyLocks keyLocks,
            H2Compaction compaction, Clock clock) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.mediatorName = mediatorName;
        this.ledger = new Ledger(this, clock);
        this.idMap = new IdMap(this, clock);
        this.feedMarkers = new FeedMarkers(this, dialect, lockScope, clock);
        this.failedEvents = new FailedEvents(this, clock);
        this.sagaJournal = new SagaJournal(this, clock);
        this.keyLocks = keyLocks;
        this.compaction = compaction;
    }

    /**
     * Opens the store from settings: {@code db.url} (default an H2 file {@code ./data/<mediator>}),
     * {@code db.user}, {@code db.password}, {@code db.schema} (PostgreSQL only; default the mediator name
     * with '-' as '_'), {@code db.poolSize} (default 10); {@code db.lockPoolSize} (default 16) and
     * {@code db.lockWaitMs} (default 30000) for the {@link KeyLocks} on PostgreSQL; {@code db.h2.compactIntervalMs}
     * (default 300000, 0 never), {@code db.h2.compactFillRate} (default 50) and {@code db.h2.compactMaxMs} (default
     * 2000) for the {@link H2Compaction} of an H2 file.
     */
    public static StateStore open(Settings s, String mediatorName) {
        String url = s.get("db.url", "jdbc:h2:file:./data/" + mediatorName + ";AUTO_SERVER=FALSE");
        HikariConfig pool = new HikariConfig();
        pool.setMaximumPoolSize(s.getInt("db.poolSize", 10));
        pool.setConnectionTimeout(s.getLong("db.connectTimeoutMs", 10_000));
        return open(url, s.get("db.user", ""), s.get("db.password", ""), s.get("db.schema", null), mediatorName, pool,
                s.getInt("db.lockPoolSize", 16), Duration.ofMillis(s.getLong("db.lockWaitMs", 30_000)),
                new H2Compaction.Policy(Duration.ofMillis(s.getLong("db.h2.compactIntervalMs", H2Compaction.Policy.DEFAULT.interval().toMillis())),
                        s.getInt("db.h2.compactFillRate", H2Compaction.Policy.DEFAULT.fillRate()),
                        Duration.ofMillis(s.getLong("db.h2.compactMaxMs", H2Compaction.Policy.DEFAULT.maxRound().toMillis()))));
    }

    /** Opens the store on an explicit database; {@code schema} may be null for the default (see above). */
    public static StateStore open(String jdbcUrl, String user, String password, String schema, String mediatorName) {
        HikariConfig pool = new HikariConfig();
        pool.setMaximumPoolSize(10);
        return open(jdbcUrl, user, password, schema, mediatorName, pool, 16, Duration.ofSeconds(30), H2Compaction.Policy.DEFAULT);
    }

    private static StateStore open(String url, String user, String password, String schema, String mediatorName, HikariConfig pool,
            int lockPoolSize, Duration lockWait, H2Compaction.Policy compactionPolicy) {
        if (mediatorName == null || mediatorName.isBlank()) throw new IllegalArgumentException("mediatorName is required");
        boolean postgres = url.startsWith("jdbc:postgresql:");
        if (!postgres && !url.startsWith("jdbc:h2:")) {
            throw new ConfigException("db.url '" + url + "': only jdbc:h2: and jdbc:postgresql: URLs are supported");
        }
        boolean h2File = !postgres && isH2File(url);
        if (!postgres) {
            makeH2Directory(url);
            url = cachedH2(durableH2(url));
        }
        String schemaName = postgres ? schemaName(schema, mediatorName) : null;
        if (postgres) createSchema(url, user, password, schemaName);

        pool.setJdbcUrl(url);
        if (user != null && !user.isEmpty()) pool.setUsername(user);
        if (password != null && !password.isEmpty()) pool.setPassword(password);
        if (schemaName != null) pool.setSchema(schemaName);
        pool.setPoolName("state-" + mediatorName);
        HikariDataSource ds;
        try {
            ds = new HikariDataSource(pool);
        } catch (RuntimeException e) {
            throw new StoreException("cannot connect to state database " + url + ": " + rootMessage(e), e);
        }
        try {
            migrate(ds, schemaName, mediatorName);
            Dialect dialect;
            try (Connection c = ds.getConnection()) {
                dialect = Dialect.of(c);
            }
            // advisory locks are database-wide: scope them by schema so two mediators' feeds never collide
            String lockScope = schemaName != null ? schemaName : mediatorName;
            log.info("state store for {} ready on {} ({})", mediatorName, dialect, postgres ? "schema " + schemaName : url);
            HikariConfig lockPool = null;
            if (postgres) {
                lockPool = new HikariConfig();
                lockPool.setJdbcUrl(url);
                if (user != null && !user.isEmpty()) lockPool.setUsername(user);
                if (password != null && !password.isEmpty()) lockPool.setPassword(password);
                lockPool.setPoolName("state-" + mediatorName + "-locks");
                lockPool.setMaximumPoolSize(lockPoolSize);
                lockPool.setMinimumIdle(0);
                lockPool.setConnectionTimeout(Math.max(250, lockWait.toMillis()));
            }
            KeyLocks keyLocks = new KeyLocks(lockScope, lockWait, lockPool);
            H2Compaction compaction = h2File ? H2Compaction.start(ds, compactionPolicy, mediatorName) : null;
            return new StateStore(ds, dialect, mediatorName, lockScope, keyLocks, compaction, Clock.systemUTC());
        } catch (SQLException | RuntimeException e) {
            ds.close();
            if (e instanceof StoreException se) throw se;
            throw new StoreException("state database " + url + ": " + rootMessage(e), e);
        }
    }

    static String schemaName(String configured, String mediatorName) {
        String name = configured != null && !configured.isBlank() ? configured.trim()
                : mediatorName.toLowerCase(Locale.ROOT).replace('-', '_');
        // the name goes into DDL unquoted-safe: keep it to plain lower-case identifiers
        if (!SCHEMA_NAME.matcher(name).matches()) {
            throw new ConfigException("db.schema '" + name + "': use lower-case letters, digits and '_' (start with a letter)");
        }
        return name;
    }

    /**
     * An H2 file database writes commits to its file from a background thread (WRITE_DELAY, 500 ms by default): a
     * process killed with -9 loses the commits of its last moments, e.g. the saga journal row written just before an
     * upstream write, so recovery would not know what to undo. WRITE_DELAY=0 writes each commit before it returns
     * (measured: a commit followed by kill -9 within 150 ms was lost without it). Kept if the URL sets it.
     */
    static String durableH2(String url) {
        if (!isH2File(url)) return url;
        if (url.toUpperCase(Locale.ROOT).contains(";WRITE_DELAY=")) return url;
        return url + ";WRITE_DELAY=0";
    }

    /** An embedded H2 file (not in memory, not a server's). */
    private static boolean isH2File(String url) {
        String rest = url.substring("jdbc:h2:".length());
        return !(rest.startsWith("mem:") || rest.startsWith("tcp:") || rest.startsWith("ssl:"));
    }

    /**
     * H2 parses a statement again unless its session still holds it in the query cache, which keeps 8 by default: a
     * form runs ~15 distinct statements on connections the pool hands out at random, so nearly each one was parsed
     * anew (~70 us). 64 per connection holds every statement of the store and the mediators' tables. Kept if the URL
     * sets it.
     */
    static String cachedH2(String url) {
        String rest = url.substring("jdbc:h2:".length());
        if (rest.startsWith("tcp:") || rest.startsWith("ssl:")) return url; // the server's own settings
        if (url.toUpperCase(Locale.ROOT).contains(";QUERY_CACHE_SIZE=")) return url;
        return url + ";QUERY_CACHE_SIZE=" + H2_QUERY_CACHE;
    }

    private static void makeH2Directory(String url) {
        String rest = url.substring("jdbc:h2:".length());
        if (rest.startsWith("mem:") || rest.startsWith("tcp:") || rest.startsWith("ssl:")) return;
        if (rest.startsWith("file:")) rest = rest.substring("file:".length());
        int semicolon = rest.indexOf(';');
        String file = semicolon >= 0 ? rest.substring(0, semicolon) : rest;
        if (file.startsWith("~")) file = System.getProperty("user.home") + file.substring(1);
        Path parent = Path.of(file).toAbsolutePath().getParent();
        try {
            if (parent != null) Files.createDirectories(parent);
        } catch (IOException e) {
            throw new StoreException("cannot create the data folder " + parent + ": " + e.getMessage(), e);
        }
    }

    /** Replicas may start together: a concurrent CREATE SCHEMA that loses the race is fine. */
    private static void createSchema(String url, String user, String password, String schema) {
        Properties props = new Properties();
        if (user != null && !user.isEmpty()) props.setProperty("user", user);
        if (password != null && !password.isEmpty()) props.setProperty("password", password);
        try (Connection c = DriverManager.getConnection(url, props); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
        } catch (SQLException e) {
            if (!Sql.isUniqueViolation(e)) {
                throw new StoreException("cannot create schema " + schema + " on " + url + ": " + e.getMessage(), e);
            }
        }
    }

    private static void migrate(DataSource ds, String schema, String mediatorName) {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        if (loader == null) loader = StateStore.class.getClassLoader();
        List<String> locations = new ArrayList<>(List.of("classpath:db/common"));
        if (loader.getResource("db/" + mediatorName) != null) locations.add("classpath:db/" + mediatorName);
        var config = Flyway.configure(loader)
                .dataSource(ds)
                .locations(locations.toArray(String[]::new))
                // a later common migration (V2) must still apply after a mediator's V100 is in
                .outOfOrder(true)
                // common migrations written in Java (none of them SQL both engines share)
                .javaMigrations(new V2__saga_steps_in_journal());
        if (schema != null) config.schemas(schema).defaultSchema(schema);
        config.load().migrate();
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    public DataSource dataSource() { return dataSource; }

    public String mediatorName() { return mediatorName; }

    /** True on PostgreSQL, false on H2 (for the rare caller that needs to know, e.g. tests). */
    public boolean isPostgres() { return dialect == Dialect.POSTGRESQL; }

    /** Runs {@code work} in one transaction: commits when it returns, rolls back when it throws. */
    public <T> T inTransaction(SqlWork<T> work) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException | Error e) {
                rollbackQuietly(c, e);
                if (e instanceof SQLException se) throw new StoreException("state database: " + se.getMessage(), se);
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new StoreException("state database: " + e.getMessage(), e);
        }
    }

    /** The H2 file's compaction (null on PostgreSQL and in-memory or server H2), for tests and the probe. */
    H2Compaction compaction() { return compaction; }

    /** Runs {@code work} on a pooled connection in auto-commit mode (each statement its own transaction). */
    <T> T withConnection(SqlWork<T> work) {
        try (Connection c = dataSource.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw new StoreException("state database: " + e.getMessage(), e);
        }
    }

    private static void rollbackQuietly(Connection c, Throwable cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    public Ledger ledger() { return ledger; }

    public IdMap idMap() { return idMap; }

    public FeedMarkers feedMarkers() { return feedMarkers; }

    public FailedEvents failedEvents() { return failedEvents; }

    public SagaJournal sagaJournal() { return sagaJournal; }

    /** Per-key serialisation: in this process on H2, across every process on the database on PostgreSQL. */
    public KeyLocks keyLocks() { return keyLocks; }

    /** For the heartbeat/health endpoint: a cheap round trip, false instead of an exception. */
    public boolean healthy() {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            st.setQueryTimeout(2);
            st.execute("SELECT 1");
            return true;
        } catch (SQLException | RuntimeException e) {
            log.warn("state database unhealthy: {}", e.getMessage());
            return false;
        }
    }

    @Override
    public void close() {
        if (compaction != null) compaction.close();
        keyLocks.close();
        dataSource.close();
    }
}
