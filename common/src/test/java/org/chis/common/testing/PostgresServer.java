package org.chis.common.testing;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real, throwaway PostgreSQL server for tests. With {@code CHIS_TEST_PG_URL} set (plus
 * {@code CHIS_TEST_PG_USER}/{@code CHIS_TEST_PG_PASSWORD}) that database is used as is. Otherwise the local
 * PostgreSQL binaries ({@code /usr/lib/postgresql/<v>/bin}, or {@code initdb}/{@code pg_ctl} on the PATH)
 * create a cluster in a temp folder, listening on a free port of 127.0.0.1 only, with durability switched
 * off for speed; it is stopped and deleted on {@link #close}. PostgreSQL refuses to run as root, so as root
 * the server runs as the {@code postgres} user ({@code runuser}).
 * <p>
 * Tests share one server per JVM: {@link #shared()} (stopped by a shutdown hook). Isolate tests by schema.
 */
public final class PostgresServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PostgresServer.class);
    private static final String USER = "chis";
    private static final String DATABASE = "chis_test";
    private static PostgresServer shared;

    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final Path home;        // null when an external server is used
    private final List<String> asPostgres;
    private final Path binDir;
    private final Duration startupTime;

    private PostgresServer(String jdbcUrl, String user, String password, Path home, List<String> asPostgres, Path binDir, Duration startupTime) {
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
        this.home = home;
        this.asPostgres = asPostgres;
        this.binDir = binDir;
        this.startupTime = startupTime;
    }

    /** The server all tests of this JVM share; started on first use. */
    public static synchronized PostgresServer shared() {
        if (shared == null) {
            shared = start();
            PostgresServer s = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(s::close, "postgres-test-server-stop"));
        }
        return shared;
    }

    /** A server of one's own (close it); prefer {@link #shared()}. */
    public static PostgresServer start() {
        String external = System.getenv("CHIS_TEST_PG_URL");
        if (external != null && !external.isBlank()) {
            return new PostgresServer(external, envOr("CHIS_TEST_PG_USER", "postgres"), envOr("CHIS_TEST_PG_PASSWORD", ""),
                    null, List.of(), null, Duration.ZERO);
        }
        Path bin = findBinaries();
        long started = System.nanoTime();
        Path home = null;
        try {
            home = Files.createTempDirectory("chis-pg-");
            List<String> prefix = runningAsRoot() ? List.of("runuser", "-u", "postgres", "--") : List.of();
            if (!prefix.isEmpty()) run(home, List.of("chown", "postgres", home.toString()), List.of());
            Path data = home.resolve("data");
            run(home, prefix, List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", USER, "-A", "trust",
                    "-E", "UTF8", "--no-locale", "--no-sync"));
            int port = startOnFreePort(home, prefix, bin, data);
            String url = "jdbc:postgresql://127.0.0.1:" + port + "/";
            try (Connection c = DriverManager.getConnection(url + "postgres", USER, ""); Statement st = c.createStatement()) {
                st.execute("CREATE DATABASE " + DATABASE);
            }
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            log.info("PostgreSQL test server ({}) started on 127.0.0.1:{} in {} ms", bin, port, took.toMillis());
            return new PostgresServer(url + DATABASE, USER, "", home, prefix, bin, took);
        } catch (IOException | SQLException | RuntimeException e) {
            if (home != null) deleteQuietly(home);
            throw new IllegalStateException("could not start a PostgreSQL test server: " + e.getMessage(), e);
        }
    }

    private static int startOnFreePort(Path home, List<String> prefix, Path bin, Path data) throws IOException {
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            int port = freePort();
            try {
                run(home, prefix, List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", home.resolve("server.log").toString(),
                        "-w", "-t", "60", "-o", "-p " + port + " -k " + home + " -c listen_addresses=127.0.0.1"
                                + " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
                        "start"));
                return port;
            } catch (IOException e) {
                last = e; // most likely someone took the port between our probe and the start
            }
        }
        throw last;
    }

    public String jdbcUrl() { return jdbcUrl; }

    public String user() { return user; }

    public String password() { return password; }

    /** How long the server took to come up (zero for an external server). */
    public Duration startupTime() { return startupTime; }

    public Connection connect() throws SQLException { return DriverManager.getConnection(jdbcUrl, user, password); }

    /** Drops a schema a test created (matters on an external server; the throwaway one is deleted anyway). */
    public void dropSchema(String schema) {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        } catch (SQLException e) {
            log.warn("could not drop schema {}: {}", schema, e.getMessage());
        }
    }

    @Override
    public synchronized void close() {
        if (home == null || !Files.exists(home)) return;
        try {
            run(home, asPostgres, List.of(binDir.resolve("pg_ctl").toString(), "-D", home.resolve("data").toString(),
                    "-m", "immediate", "-w", "stop"));
        } catch (IOException | RuntimeException e) {
            log.warn("could not stop the PostgreSQL test server in {}: {}", home, e.getMessage());
        }
        deleteQuietly(home);
    }

    private static Path findBinaries() {
        List<Path> candidates = new ArrayList<>();
        String configured = System.getenv("CHIS_TEST_PG_BIN");
        if (configured != null && !configured.isBlank()) candidates.add(Path.of(configured));
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                versions.sorted(Comparator.comparing(PostgresServer::versionOf).reversed())
                        .forEach(v -> candidates.add(v.resolve("bin")));
            } catch (IOException ignored) {
                // fall through to the PATH
            }
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isBlank()) candidates.add(Path.of(dir));
        }
        for (Path dir : candidates) {
            if (Files.isExecutable(dir.resolve("initdb")) && Files.isExecutable(dir.resolve("pg_ctl"))) return dir;
        }
        throw new IllegalStateException("PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin"
                + " or on the PATH: install them (apt-get install postgresql), set CHIS_TEST_PG_BIN to their folder,"
                + " or point CHIS_TEST_PG_URL (+ CHIS_TEST_PG_USER, CHIS_TEST_PG_PASSWORD) at a database to use");
    }

    private static int versionOf(Path dir) {
        try {
            return Integer.parseInt(dir.getFileName().toString().replaceAll("\\..*", ""));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static boolean runningAsRoot() { return "root".equals(System.getProperty("user.name")); }

    /** Runs a command to its end; its output goes to a file we read back for the error message. */
    private static void run(Path home, List<String> prefix, List<String> command) throws IOException {
        List<String> full = new ArrayList<>(prefix);
        full.addAll(command);
        Path out = Files.createTempFile("chis-pg-cmd-", ".out");
        try {
            Process p = new ProcessBuilder(full).directory(home.toFile()).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", full) + ": no answer after 120 s");
            }
            if (p.exitValue() != 0) {
                String serverLog = Files.exists(home.resolve("server.log")) ? "\nserver.log:\n" + Files.readString(home.resolve("server.log")) : "";
                throw new IOException(String.join(" ", full) + " exited " + p.exitValue() + ":\n"
                        + Files.readString(out, StandardCharsets.UTF_8) + serverLog);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + full.get(0), e);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String envOr(String name, String fallback) {
        String v = System.getenv(name);
        return v == null ? fallback : v;
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            log.warn("could not delete {}: {}", dir, e.getMessage());
        }
    }
}
