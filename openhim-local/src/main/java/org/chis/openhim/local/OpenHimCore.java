package org.chis.openhim.local;

import com.fasterxml.jackson.databind.node.ObjectNode;
import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.ServerVersion;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.CoreApi;
import org.chis.common.openhim.CoreApiAuth;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real OpenHIM core (npm {@code openhim-core} 4.0.5, run by {@code node}) on an in-process MongoDB stand-in
 * (mongo-java-server, memory or H2 file backend), for integration tests and the local demo. No Docker, no MongoDB.
 *
 * <pre>{@code
 * try (OpenHimCore core = OpenHimCore.start(OpenHimCore.Options.temp())) {
 *     CoreApi api = core.api();                       // root user, token auth, pinned certificate
 *     Map<String, String> s = core.settingsFor();     // core.api.url/user/password/certificate for a mediator
 * }
 * }</pre>
 *
 * <p>Closing it (or JVM exit) stops the whole node process tree and the Mongo stand-in.
 */
public final class OpenHimCore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(OpenHimCore.class);

    public static final String ROOT_USER = "root@openhim.org";
    public static final String ROOT_PASSWORD = "openhim-password";
    /** What core 4.0.5 logs once every server (router, API, rerun, TCP, polling, agenda) listens. */
    static final String STARTED_MARKER = "OpenHIM server started";
    static final String NODE_DIR = "openhim-local/node";

    /** Start-up options. Port 0 (the default) means a free port picked at start. */
    public static final class Options {
        Path workDir;
        boolean persistent;
        ServerVersion mongoVersion;
        Path coreHome;
        int mongoPort;
        int apiPort;
        int routerHttpPort;
        int routerHttpsPort;
        int rerunPort;
        int tcpAdapterPort;
        int pollingPort;
        int authWindowSeconds = 10;
        long cacheRefreshMillis = 1000;
        long rerunPollMillis = 1000;
        String externalHostname = "127.0.0.1";
        String logLevel = "info";
        Duration startTimeout = Duration.ofSeconds(60);
        Path home;
        String node = System.getenv().getOrDefault("CHIS_NODE", "node");
        ObjectNode extraConfig;
        boolean deleteOnClose;

        /**
         * A fresh temporary work dir (deleted on close, unless -Dopenhim.local.keepWorkDir=true), in-memory Mongo,
         * free ports.
         */
        public static Options temp() {
            try {
                return new Options().workDir(Files.createTempDirectory("openhim-core-")).deleteOnClose(true);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Work dir {@code dir} (created if needed; logs, conf, certificate and the H2 file live there). */
        public static Options in(Path dir) { return new Options().workDir(dir); }

        public Options workDir(Path dir) { this.workDir = dir.toAbsolutePath().normalize(); return this; }
        /** Keep the database in {@code <workDir>/mongo-h2.mv} (H2 backend) across restarts instead of in memory. */
        public Options persistent(boolean p) { this.persistent = p; return this; }
        /** The wire version the Mongo stand-in reports (default: {@link CoreInstall#mongoVersion()}). */
        public Options mongoVersion(ServerVersion v) { this.mongoVersion = v; return this; }
        /**
         * An unpacked openhim-core to run instead of the npm 4.0.5 install (default: {@code OPENHIM_CORE_HOME} or
         * -Dopenhim.core.home), e.g. a 5.x-8.x checkout with node_modules and lib/ built.
         */
        public Options coreHome(Path dir) { this.coreHome = dir; return this; }
        public Options mongoPort(int p) { this.mongoPort = p; return this; }
        public Options apiPort(int p) { this.apiPort = p; return this; }
        public Options routerHttpPort(int p) { this.routerHttpPort = p; return this; }
        public Options routerHttpsPort(int p) { this.routerHttpsPort = p; return this; }
        public Options rerunPort(int p) { this.rerunPort = p; return this; }
        public Options tcpAdapterPort(int p) { this.tcpAdapterPort = p; return this; }
        public Options pollingPort(int p) { this.pollingPort = p; return this; }
        /** {@code api.authWindowSeconds}: how far an API token's auth-ts may be from core's clock (core default 10). */
        public Options authWindowSeconds(int s) { this.authWindowSeconds = s; return this; }
        /** {@code caching.refreshMillis}: how long the router may use a stale channel list (core default 1000). */
        public Options cacheRefreshMillis(long ms) { this.cacheRefreshMillis = ms; return this; }
        /** {@code rerun.processor.pollPeriodMillis}: how often queued rerun tasks are picked up (core default 2000). */
        public Options rerunPollMillis(long ms) { this.rerunPollMillis = ms; return this; }
        /** {@code router.externalHostname} (used by core's URL rewriting and audit links). */
        public Options externalHostname(String h) { this.externalHostname = h; return this; }
        public Options logLevel(String l) { this.logLevel = l; return this; }
        public Options startTimeout(Duration d) { this.startTimeout = d; return this; }
        /** The repository root (the folder holding openhim-local/node); default: CHIS_HOME or found from user.dir. */
        public Options home(Path h) { this.home = h; return this; }
        /** The node executable (default {@code node}, or env CHIS_NODE). */
        public Options node(String n) { this.node = n; return this; }
        /** Extra nconf settings deep-merged over the generated conf file (e.g. {@code {"api":{"maxBodiesSizeMB":1}}}). */
        public Options extraConfig(ObjectNode c) { this.extraConfig = c; return this; }
        /** Delete the work dir on close (the default only for {@link #temp()}). */
        public Options deleteOnClose(boolean d) { this.deleteOnClose = d; return this; }

        public Path workDir() { return workDir; }
        public boolean persistent() { return persistent; }
    }

    private final Options options;
    private final Path nodeDir;
    private final CoreInstall install;
    private final MongoServer mongo;
    private final int mongoPort;
    private final Map<String, Integer> ports;
    private final Path confFile;
    private final Path logFile;
    private final Path certFile;
    private final boolean deleteWorkDir;
    private volatile Process node;
    private volatile Thread shutdownHook;
    private volatile CoreApi api;
    private volatile CoreAdmin admin;
    private volatile boolean closed;

    private OpenHimCore(Options o, Path nodeDir, CoreInstall install, MongoServer mongo, int mongoPort, Map<String, Integer> ports, boolean deleteWorkDir) {
        this.options = o;
        this.nodeDir = nodeDir;
        this.install = install;
        this.mongo = mongo;
        this.mongoPort = mongoPort;
        this.ports = ports;
        this.confFile = o.workDir.resolve("openhim-conf.json");
        this.logFile = o.workDir.resolve("core.log");
        this.certFile = o.workDir.resolve("core-api-cert.pem");
        this.deleteWorkDir = deleteWorkDir;
    }

    private static OpenHimCore shared;

    /**
     * One core for the whole JVM (temporary dir, in-memory, free ports), started on first use and stopped by the
     * JVM shutdown hook: for modules with several test classes. Do not close it; isolate tests by unique names.
     */
    public static synchronized OpenHimCore shared() throws IOException {
        if (shared == null || shared.isClosed() || !shared.isRunning()) {
            if (shared != null) shared.close();
            shared = start(Options.temp());
        }
        return shared;
    }

    /** Starts core with a temporary work dir, in-memory Mongo and free ports. */
    public static OpenHimCore start() throws IOException { return start(Options.temp()); }

    /**
     * Installs the npm packages if needed, starts the Mongo stand-in and core, and returns once core logged
     * "OpenHIM server started" and its API certificate was captured. On failure everything started is stopped
     * and the exception carries the tail of core's log.
     */
    public static OpenHimCore start(Options o) throws IOException {
        if (o.workDir == null) throw new IllegalArgumentException("Options.workDir is required (or use Options.temp())");
        long t0 = System.nanoTime();
        Files.createDirectories(o.workDir);
        Path home = locateHome(o.home);
        Path nodeDir = home.resolve(NODE_DIR);
        Path supplied = o.coreHome != null ? o.coreHome : CoreInstall.suppliedHome();
        // a supplied core is the user's install: only the npm one is ours to (re)install
        if (supplied == null) NodeInstall.ensureInstalled(nodeDir, o.workDir.resolve("npm-install.log"));
        CoreInstall install = CoreInstall.of(supplied != null ? supplied : NodeInstall.coreDir(nodeDir));
        Quiet.mongoServerLogs();

        Map<String, Integer> ports = pickPorts(o);
        MongoBackend backend = o.persistent ? new H2Backend(o.workDir.resolve("mongo-h2.mv").toString()) : new MemoryBackend();
        backend.version(o.mongoVersion != null ? o.mongoVersion : install.mongoVersion());
        MongoServer mongo = new MongoServer(new SnapshotReplies(backend));
        OpenHimCore core = null;
        try {
            mongo.bind("127.0.0.1", o.mongoPort);
            int mongoPort = mongo.getLocalAddress().getPort();
            boolean delete = o.deleteOnClose && !Boolean.getBoolean("openhim.local.keepWorkDir");
            core = new OpenHimCore(o, nodeDir, install, mongo, mongoPort, ports, delete);
            core.registerShutdownHook();
            core.writeConf();
            long t1 = System.nanoTime();
            core.startNode();
            long t2 = System.nanoTime();
            core.captureCertificate();
            long t3 = System.nanoTime();
            log.info("OpenHIM core {} up in {} ms (install check + Mongo {} ms, node {} ms, certificate {} ms): API {} router {} (work dir {})",
                    install.version(), (t3 - t0) / 1_000_000, (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000,
                    core.apiUrl(), core.routerUrl(), o.workDir);
            return core;
        } catch (IOException | RuntimeException e) {
            if (core != null) core.close();
            else mongo.shutdownNow();
            throw e;
        }
    }

    // ---------------------------------------------------------------------------------------------------- accessors

    public String apiUrl() { return "https://127.0.0.1:" + apiPort(); }
    /** The core that runs: its folder, version and mongoose version. */
    public CoreInstall install() { return install; }
    /** The router's plain HTTP listener (clients, mediators' channels). */
    public String routerUrl() { return "http://127.0.0.1:" + routerHttpPort(); }
    public String routerHttpsUrl() { return "https://127.0.0.1:" + routerHttpsPort(); }
    public int apiPort() { return ports.get("api"); }
    public int routerHttpPort() { return ports.get("routerHttp"); }
    public int routerHttpsPort() { return ports.get("routerHttps"); }
    public int rerunPort() { return ports.get("rerun"); }
    public int tcpAdapterPort() { return ports.get("tcpAdapter"); }
    public int pollingPort() { return ports.get("polling"); }
    public int mongoPort() { return mongoPort; }
    public String mongoUrl() { return "mongodb://127.0.0.1:" + mongoPort + "/openhim"; }
    public boolean persistent() { return options.persistent; }
    public Path workDir() { return options.workDir; }
    /** Core's API certificate (PEM), captured at start: give it to mediators as {@code core.api.certificate}. */
    public Path certificatePem() { return certFile; }
    public Path logFile() { return logFile; }
    public Path confFile() { return confFile; }
    public String rootUser() { return ROOT_USER; }
    public String rootPassword() { return ROOT_PASSWORD; }
    /** {@code caching.refreshMillis}: a new or changed channel is routed after at most this long. */
    public long cacheRefreshMillis() { return options.cacheRefreshMillis; }

    /** All ports by name: mongo, api, routerHttp, routerHttps, rerun, tcpAdapter, polling. */
    public Map<String, Integer> ports() {
        Map<String, Integer> all = new LinkedHashMap<>();
        all.put("mongo", mongoPort);
        all.putAll(ports);
        return all;
    }

    /** The node master's pid (-1 when not running). */
    public long nodePid() {
        Process p = node;
        return p == null ? -1 : p.pid();
    }

    /** The node master and its workers. */
    public List<Long> nodePids() {
        Process p = node;
        if (p == null || !p.isAlive()) return List.of();
        List<Long> pids = new ArrayList<>();
        pids.add(p.pid());
        p.descendants().forEach(h -> pids.add(h.pid()));
        return pids;
    }

    /** True once {@link #close()} (or the shutdown hook) began stopping core. */
    public boolean isClosed() { return closed; }

    public boolean isRunning() {
        Process p = node;
        return !closed && p != null && p.isAlive();
    }

    /**
     * The core.* settings a mediator needs to register against this core: core.api.url, core.api.user,
     * core.api.password, core.api.certificate. A mutable copy: add the mediator's own keys to it.
     * {@code core.api.auth} is left to the mediator's default ("auto" finds token auth on core 4.0.5).
     */
    public Map<String, String> settingsFor() {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("core.api.url", apiUrl());
        s.put("core.api.user", ROOT_USER);
        s.put("core.api.password", ROOT_PASSWORD);
        s.put("core.api.certificate", certFile.toString());
        return s;
    }

    /** {@link #settingsFor()} plus {@code extra}, as {@link Settings}. */
    public Settings settings(Map<String, String> extra) {
        Map<String, String> s = settingsFor();
        s.putAll(extra);
        return Settings.of(s);
    }

    /** An API client as root, token auth (the only scheme core 4.0.5 knows), trusting only core's certificate. */
    public CoreApi api() {
        CoreApi a = api;
        if (a == null) api = a = api(CoreApiAuth.TOKEN);
        return a;
    }

    /** An API client as root with the given auth mode (a new client each call). */
    public CoreApi api(CoreApiAuth mode) {
        Map<String, String> s = settingsFor();
        s.put("core.api.auth", mode.name().toLowerCase());
        return CoreApi.fromSettings(Settings.of(s));
    }

    /** Admin helpers for tests (clients, channels, transactions, reruns) over {@link #api()}. */
    public CoreAdmin admin() {
        CoreAdmin a = admin;
        if (a == null) admin = a = new CoreAdmin(api(), options.cacheRefreshMillis, () -> logTail(30));
        return a;
    }

    /** POSTs a JSON body to the router's HTTP port as client {@code clientId} (Basic), as an app would. */
    public HttpResponse<String> postToRouter(String path, String json, String clientId, String password)
            throws IOException, InterruptedException {
        HttpRequest r = HttpRequest.newBuilder(URI.create(routerUrl() + path))
                .timeout(Duration.ofSeconds(60))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString((clientId + ":" + password).getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8)).build();
        return ROUTER_CLIENT.send(r, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static final HttpClient ROUTER_CLIENT =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** The last {@code lines} lines of core's log (for failure messages). */
    public String logTail(int lines) { return tail(logFile, 0, lines); }

    // -------------------------------------------------------------------------------------------------------- start

    /** The repository root: explicit, then -Dchis.home, then $CHIS_HOME, then up from user.dir, then up from this jar. */
    static Path locateHome(Path explicit) {
        List<Path> tried = new ArrayList<>();
        if (explicit != null) return requireHome(explicit, "Options.home");
        String prop = System.getProperty("chis.home");
        if (prop != null && !prop.isBlank()) return requireHome(Path.of(prop), "-Dchis.home");
        String env = System.getenv("CHIS_HOME");
        if (env != null && !env.isBlank()) return requireHome(Path.of(env), "CHIS_HOME");
        List<Path> starts = new ArrayList<>();
        starts.add(Path.of(System.getProperty("user.dir")));
        try {
            starts.add(Path.of(OpenHimCore.class.getProtectionDomain().getCodeSource().getLocation().toURI()));
        } catch (URISyntaxException | RuntimeException ignored) {
            // no code source: user.dir only
        }
        for (Path start : starts) {
            for (Path p = start.toAbsolutePath().normalize(); p != null; p = p.getParent()) {
                if (Files.isRegularFile(p.resolve(NODE_DIR).resolve("package.json"))) return p;
                tried.add(p);
            }
        }
        throw new IllegalStateException("cannot find " + NODE_DIR + "/package.json above " + starts
                + ": run from the repository or set CHIS_HOME to the repository root");
    }

    private static Path requireHome(Path p, String source) {
        Path abs = p.toAbsolutePath().normalize();
        if (!Files.isRegularFile(abs.resolve(NODE_DIR).resolve("package.json"))) {
            throw new IllegalStateException(source + "=" + p + " has no " + NODE_DIR + "/package.json");
        }
        return abs;
    }

    private static Map<String, Integer> pickPorts(Options o) throws IOException {
        Map<String, Integer> wanted = new LinkedHashMap<>();
        wanted.put("api", o.apiPort);
        wanted.put("routerHttp", o.routerHttpPort);
        wanted.put("routerHttps", o.routerHttpsPort);
        wanted.put("rerun", o.rerunPort);
        wanted.put("tcpAdapter", o.tcpAdapterPort);
        wanted.put("polling", o.pollingPort);
        Set<Integer> used = new LinkedHashSet<>();
        if (o.mongoPort != 0) used.add(o.mongoPort);
        for (Map.Entry<String, Integer> e : wanted.entrySet()) {
            int p = e.getValue();
            if (p != 0) {
                if (!used.add(p)) throw new IllegalArgumentException("port " + p + " given twice");
                if (!isFree(p)) throw new IOException("port " + p + " (" + e.getKey() + ") is already in use on 127.0.0.1");
            }
        }
        for (Map.Entry<String, Integer> e : wanted.entrySet()) {
            if (e.getValue() != 0) continue;
            int p;
            do {
                p = freePort();
            } while (!used.add(p));
            e.setValue(p);
        }
        return wanted;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void writeConf() throws IOException {
        ObjectNode c = conf(install, options, ports, mongoUrl());
        Files.writeString(confFile, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(c), StandardCharsets.UTF_8);
    }

    /**
     * The nconf override file for {@code install}: everything not set here stays at that core's config/default.json.
     * Keys that differ by version come from {@link CoreInstall} (the API port).
     */
    static ObjectNode conf(CoreInstall install, Options options, Map<String, Integer> ports, String mongoUrl) {
        ObjectNode c = Json.object();
        c.put("bindAddress", "127.0.0.1");
        ObjectNode mongoConf = c.putObject("mongo");
        mongoConf.put("url", mongoUrl);
        mongoConf.put("atnaUrl", mongoUrl);
        // capped collections are not implemented by mongo-java-server: winston-mongodb must not ask for one
        ObjectNode logger = c.putObject("logger");
        logger.put("level", options.logLevel);
        logger.put("logToDB", true);
        logger.put("capDBLogs", false);
        ObjectNode router = c.putObject("router");
        router.put("externalHostname", options.externalHostname);
        router.put("httpPort", ports.get("routerHttp"));
        router.put("httpsPort", ports.get("routerHttps"));
        ObjectNode apiConf = c.putObject("api");
        for (String key : install.apiPortKeys()) apiConf.put(key, ports.get("api"));
        if (install.major() >= 8) apiConf.put("protocol", "https"); // 8.x can serve the API over http; ours is https
        apiConf.put("authWindowSeconds", options.authWindowSeconds);
        ObjectNode rerun = c.putObject("rerun");
        rerun.put("httpPort", ports.get("rerun"));
        rerun.put("host", "127.0.0.1");
        rerun.putObject("processor").put("enabled", true).put("pollPeriodMillis", options.rerunPollMillis);
        c.putObject("tcpAdapter").putObject("httpReceiver").put("httpPort", ports.get("tcpAdapter")).put("host", "127.0.0.1");
        c.putObject("polling").put("enabled", true).put("pollingPort", ports.get("polling")).put("host", "127.0.0.1");
        c.putObject("alerts").put("enableAlerts", false);
        c.putObject("reports").put("enableReports", false);
        c.putObject("caching").put("enabled", true).put("refreshMillis", options.cacheRefreshMillis);
        c.putObject("certificateManagement").put("watchFSForCert", false);
        if (options.extraConfig != null) merge(c, options.extraConfig);
        return c;
    }

    private static void merge(ObjectNode into, ObjectNode from) {
        from.fields().forEachRemaining(e -> {
            if (e.getValue().isObject() && into.path(e.getKey()).isObject()) {
                merge((ObjectNode) into.get(e.getKey()), (ObjectNode) e.getValue());
            } else {
                into.set(e.getKey(), e.getValue().deepCopy());
            }
        });
    }

    private void startNode() throws IOException {
        Path coreDir = install.dir();
        List<String> cmd = List.of(options.node,
                // openhim-core 4.0.5 (written for node 8/10) leaves an unhandled rejection in
                // metrics.recordTransactionMetrics (NaN response-time race); node >= 15 would kill the worker for it
                "--unhandled-rejections=warn",
                "-r", nodeDir.resolve("openhim-compat.js").toString(),
                install.serverScript(), "--conf=" + confFile);
        long offset = Files.exists(logFile) ? Files.size(logFile) : 0;
        Files.writeString(logFile, "---- openhim-local: starting " + String.join(" ", cmd) + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .directory(coreDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        // NODE_ENV would make core also load config/<env>.json; our conf file covers what we need
        pb.environment().remove("NODE_ENV");
        pb.environment().put("OPENHIM_LOCAL_EXIT_WITH_PARENT", "1");
        // the shim finds this core's mongoose and patches it only when it is mongoose 4
        pb.environment().put("OPENHIM_LOCAL_CORE_DIR", coreDir.toString());
        pb.environment().put("OPENHIM_LOCAL_USE_PUSH_EACH", install.needsPushEach() ? "1" : "0");
        try {
            node = pb.start();
        } catch (IOException e) {
            throw new IOException("cannot run '" + options.node + "' (node 18+ must be on the PATH, or set CHIS_NODE): " + e.getMessage(), e);
        }
        long deadline = System.nanoTime() + options.startTimeout.toNanos();
        try (RandomAccessFile in = new RandomAccessFile(logFile.toFile(), "r")) {
            StringBuilder seen = new StringBuilder();
            long pos = offset;
            while (true) {
                long len = in.length();
                if (len > pos) {
                    byte[] buf = new byte[(int) Math.min(len - pos, 1 << 20)];
                    in.seek(pos);
                    in.readFully(buf);
                    pos += buf.length;
                    seen.append(new String(buf, StandardCharsets.UTF_8));
                    if (seen.indexOf(STARTED_MARKER) >= 0) return;
                    if (seen.length() > 4096) seen.delete(0, seen.length() - 256); // keep a window that may hold a split marker
                }
                if (!node.isAlive()) {
                    throw new IOException("OpenHIM core exited (code " + node.exitValue() + ") before it started; "
                            + logFile + ":\n" + tail(logFile, offset, 40));
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("OpenHIM core did not start within " + options.startTimeout.toSeconds() + " s; "
                            + logFile + ":\n" + tail(logFile, offset, 40));
                }
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for OpenHIM core", e);
        }
    }

    /**
     * Trust on first use, for this harness only: reads core's (self-signed) API certificate from a TLS handshake
     * with a trust-all socket that sends nothing else, and writes it as PEM for clients to pin.
     */
    private void captureCertificate() throws IOException {
        X509TrustManager all = new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] c, String a) {}
            public void checkServerTrusted(X509Certificate[] c, String a) {}
            public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        };
        Certificate[] chain;
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {all}, new SecureRandom());
            try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
                s.connect(new InetSocketAddress("127.0.0.1", apiPort()), 5000);
                s.setSoTimeout(5000);
                s.startHandshake();
                chain = s.getSession().getPeerCertificates();
            }
        } catch (IOException e) {
            throw new IOException("cannot read OpenHIM core's API certificate from 127.0.0.1:" + apiPort() + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        StringBuilder pem = new StringBuilder();
        Base64.Encoder b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        try {
            pem.append("-----BEGIN CERTIFICATE-----\n").append(b64.encodeToString(chain[0].getEncoded())).append("\n-----END CERTIFICATE-----\n");
        } catch (CertificateEncodingException e) {
            throw new IOException(e);
        }
        Files.writeString(certFile, pem.toString(), StandardCharsets.US_ASCII);
    }

    // --------------------------------------------------------------------------------------------------------- stop

    private void registerShutdownHook() {
        Thread t = new Thread(this::stopAll, "openhim-core-shutdown");
        Runtime.getRuntime().addShutdownHook(t);
        shutdownHook = t;
    }

    /** Stops node (SIGINT to the master and its workers, then SIGKILL after 5 s), then the Mongo stand-in. */
    @Override
    public void close() {
        Thread hook = shutdownHook;
        if (hook != null && Thread.currentThread() != hook) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
        stopAll();
    }

    private synchronized void stopAll() {
        if (closed) return;
        closed = true;
        Process p = node;
        Quiet.mongoDisconnects();
        if (p != null) stopNodeTree(p, Duration.ofSeconds(5));
        try {
            mongo.shutdownNow(); // closes the backend; the H2 backend commits and closes its file
        } catch (RuntimeException e) {
            log.warn("stopping the Mongo stand-in: {}", e.toString());
        }
        if (deleteWorkDir) deleteTree(options.workDir);
    }

    static void stopNodeTree(Process p, Duration grace) {
        List<ProcessHandle> tree = new ArrayList<>();
        tree.add(p.toHandle());
        p.descendants().forEach(tree::add);
        List<ProcessHandle> alive = tree.stream().filter(ProcessHandle::isAlive).collect(Collectors.toList());
        if (alive.isEmpty()) return;
        // SIGINT to all, as Ctrl-C would: the workers stop their servers, the master exits
        if (!signal("INT", alive)) alive.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + grace.toNanos();
        for (ProcessHandle h : alive) {
            long left = deadline - System.nanoTime();
            try {
                if (left > 0) h.onExit().get(left, TimeUnit.NANOSECONDS);
            } catch (Exception timeoutOrInterrupt) {
                if (timeoutOrInterrupt instanceof InterruptedException) Thread.currentThread().interrupt();
                break;
            }
        }
        for (ProcessHandle h : tree) {
            h.descendants().forEach(ProcessHandle::destroyForcibly);
            if (h.isAlive()) {
                log.warn("OpenHIM core process {} did not stop on SIGINT, killing it", h.pid());
                h.destroyForcibly();
            }
        }
    }

    private static boolean signal(String sig, List<ProcessHandle> procs) {
        List<String> cmd = new ArrayList<>(List.of("kill", "-" + sig));
        procs.forEach(h -> cmd.add(Long.toString(h.pid())));
        try {
            Process k = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return k.waitFor(5, TimeUnit.SECONDS) && k.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void deleteTree(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // best effort for a temp dir
        }
    }

    // -------------------------------------------------------------------------------------------------------- utils

    /** The last {@code lines} lines of {@code file} from byte {@code offset} on ("" if unreadable). */
    static String tail(Path file, long offset, int lines) {
        try {
            byte[] all = Files.readAllBytes(file);
            int from = (int) Math.min(Math.max(offset, 0), all.length);
            String text = new String(all, from, all.length - from, StandardCharsets.UTF_8).replaceAll("\u001B\\[[0-9;]*m", "");
            String[] ls = text.split("\n");
            StringBuilder sb = new StringBuilder();
            for (int i = Math.max(0, ls.length - lines); i < ls.length; i++) sb.append("  | ").append(ls[i]).append('\n');
            return sb.toString();
        } catch (IOException e) {
            return "  (cannot read " + file + ": " + e.getMessage() + ")";
        }
    }

    @Override
    public String toString() {
        return "OpenHimCore[api=" + apiUrl() + ", router=" + routerUrl() + ", workDir=" + options.workDir
                + (options.persistent ? ", persistent" : "") + "]";
    }
}
