package org.chis.bench.cpu;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongFunction;
import org.chis.mediator.smscodecard.card.CheckDigit;
import org.chis.bench.TempFolders;
import org.chis.bench.BenchTable;
import org.chis.bench.Summary;
import org.chis.bench.Benchmark;
import org.chis.bench.Chart;
import org.chis.bench.ChildJvm;
import org.chis.bench.LoadDriver;
import org.chis.bench.forms.FormsSagaBenchmark;
import org.chis.bench.referral.ReferralRoundTripBenchmark;
import org.chis.bench.referral.ReferralUpstreams;
import org.chis.common.json.Json;
import org.chis.common.testing.MediatorTestSettings;
import org.chis.common.testing.PostgresServer;
import org.chis.openhim.local.CoreAdmin;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.chis.simulators.rapidpro.RapidProSimulator;
import java.io.IOException;

/**
 * {@code cpu-per-unit}: the CPU time a mediator process spends per unit of work, from /proc/&lt;pid&gt;/stat
 * (utime + stime) of the mediator's own JVM over N units after a warm-up of W units. CPU time, unlike wall-clock
 * throughput, barely moves with other people's load on a shared machine, so it is what code changes are compared on.
 * Units: a new-patient registration form (commcare-openmrs, 13 upstream calls; H2 file and PostgreSQL state), an
 * OpenMRS feed entry caught up into CommCare, an accepted SMS report (sms-codecard) and a referral round trip
 * (intake, in-progress, completed). Simulators run in this JVM. The mediators are called directly, except in
 * {@code forms-core}: the same forms sent to a real OpenHIM core 4.0.5 ({@link CoreChild}) whose channel routes them
 * to the mediator, and core's CPU per transaction (node) and its MongoDB stand-in's are measured over the same units.
 * Properties: {@code bench.cpu.units} ("forms-h2,forms-pg,forms-core,feed,sms,referral"), {@code bench.cpu.n} (300),
 * {@code bench.cpu.warmup} (2000, at {@code bench.cpu.warmupConcurrency} 8), then settling rounds of {@code bench.cpu.settleRound}
 * (200) as measured up to {@code bench.cpu.warmupMax} (4000) units in all, {@code bench.cpu.concurrency} (1), {@code bench.cpu.latency} (5 ms),
 * {@code bench.cpu.h2Options} (appended to the H2 URLs, for A/B runs of H2 settings).
 */
public final class CpuPerUnitBenchmark implements Benchmark {
    /** Issue 14's goals, mediator CPU ms per unit, in SUMMARY.md's order. */
    private static final Map<String, Double> GOAL = new LinkedHashMap<>();
    /** What each goal is, as its SUMMARY.md line says it (kept stable: a partial run keeps the lines of the goals it did not measure). */
    private static final Map<String, String> GOAL_TEXT = new LinkedHashMap<>();
    static {
        goal("forms-h2", 3.0, "new-patient form (H2 file)");
        goal("forms-pg", 3.0, "new-patient form (PostgreSQL)");
        goal("forms-core", 3.0, "new-patient form through OpenHIM core (H2 file)");
        goal("feed", 1.0, "feed entry");
        goal("sms", 1.0, "accepted SMS report");
        goal("referral", 4.0, "referral round trip");
    }
    /** Issue 14.1: the mediator's CPU per form at most this share of core's CPU per transaction, same run. */
    private static final double CORE_SHARE = 0.2;
    private static final String CORE_TARGET = "issue 14.1: mediator CPU per form <= 0.2 x OpenHIM core's CPU per transaction (forms-core, same run)";
    private static final String CORE_CLIENT = "chis-bench";
    private static final String CORE_CLIENT_PASSWORD = "chis-bench-pass";

    private static void goal(String unit, double ms, String what) {
        GOAL.put(unit, ms);
        GOAL_TEXT.put(unit, "issue 14.1: mediator CPU per " + what + " <= " + (ms == Math.rint(ms) ? String.valueOf((int) ms) : String.valueOf(ms)) + " ms");
    }

    /** A mediator's start-up on a loaded 2-core machine can take minutes (Flyway, Pekko, JIT): only a hang should fail the run. */
    private static final Duration READY_WAIT = Duration.ofMinutes(5);
    private final int n = Integer.getInteger("bench.cpu.n", 300);
    private final int warmup = Integer.getInteger("bench.cpu.warmup", 2000);
    /** Warm-up runs wider than the measurement so C2 has compiled the hot paths before counting starts. */
    private final int warmupConcurrency = Integer.getInteger("bench.cpu.warmupConcurrency", 8);
    /** Settling rounds go on until the JIT threads use under 5% of a round's CPU, up to this many units in all. */
    private final int warmupMax = Integer.getInteger("bench.cpu.warmupMax", 4000);
    private final int warmupRound = Integer.getInteger("bench.cpu.warmupRound", 500);
    /** Settling rounds after the warm-up run under the measurement's conditions (concurrency, latency). */
    private final int settleRound = Integer.getInteger("bench.cpu.settleRound", 200);
    private final int concurrency = Integer.getInteger("bench.cpu.concurrency", 1);
    private final int latency = Integer.getInteger("bench.cpu.latency", 5);

    @Override
    public String name() { return "cpu-per-unit"; }

    @Override
    public String description() {
        return "mediator CPU ms per form (H2, PostgreSQL, through OpenHIM core beside core's and MongoDB's CPU per transaction), feed entry, SMS and referral round trip, from /proc/<pid>/stat";
    }

    @Override
    public void run(BenchTable table) throws Exception {
        List<String> units = Arrays.stream(System.getProperty("bench.cpu.units", String.join(",", GOAL.keySet()) + ",floor,floor-sms").split(","))
                .map(String::trim).filter(u -> !u.isEmpty()).toList();
        List<String> labels = new ArrayList<>();
        List<Double> mediatorMs = new ArrayList<>();
        List<Double> goals = new ArrayList<>();
        Map<String, Summary.Line> lines = new LinkedHashMap<>();
        Measured throughCore = null;
        for (String unit : units) {
            Path dir = Files.createTempDirectory("cpu-bench-" + unit);
            Measured m;
            try {
                m = switch (unit) {
                    case "forms-h2" -> forms(dir, h2(dir), List.of(), false);
                    case "forms-pg" -> formsPostgres(dir);
                    case "forms-core" -> forms(dir, h2(dir), List.of(), true);
                    case "feed" -> feed(dir);
                    case "sms" -> sms(dir);
                    case "referral" -> referral(dir);
                    case "floor" -> stackFloor(dir, 13);
                    case "floor-sms" -> stackFloor(dir, 3);
                    default -> throw new IllegalArgumentException("unknown unit " + unit + " (" + String.join(", ", GOAL.keySet()) + ", floor, floor-sms)");
                };
            } catch (IllegalStateException failedUnits) {
                // one unit whose upstream calls failed must not throw away the units measured before it: its goal line says so
                String why = failedUnits.getMessage().lines().findFirst().orElse("");
                table.note(unit + ": not measured: " + why);
                System.out.println(unit + ": not measured: " + failedUnits.getMessage());
                if (GOAL.containsKey(unit)) lines.put(unit, new Summary.Line(unit + " not measured: " + why, GOAL_TEXT.get(unit), false));
                continue;
            } finally {
                TempFolders.deleteQuietly(dir);
            }
            double perUnit = m.mediatorMs / m.units;
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("unit", m.label);
            row.put("mediator", m.mediator);
            row.put("state", m.state);
            row.put("units", m.units);
            row.put("warm-up units", m.warmup);
            row.put("concurrency", concurrency);
            row.put("upstream latency ms", latency);
            row.put("upstream calls/unit", m.calls);
            row.put("mediator CPU ms/unit", String.format(Locale.ROOT, "%.2f", perUnit));
            row.put("goal ms", GOAL.containsKey(unit) ? GOAL.get(unit) : "");
            if (!Double.isNaN(m.busyMsPerUnit)) {
                row.put("mediator CPU ms/unit at c=" + busyConcurrency(), String.format(Locale.ROOT, "%.2f", m.busyMsPerUnit));
            }
            if (m.core != null) {
                row.put("OpenHIM core CPU ms/unit", String.format(Locale.ROOT, "%.2f", m.core.coreMs / m.units));
                row.put("MongoDB stand-in CPU ms/unit", String.format(Locale.ROOT, "%.2f", m.core.mongoMs / m.units));
                row.put("mediator / core", String.format(Locale.ROOT, "%.2f (goal <= %.1f)", m.mediatorMs / m.core.coreMs, CORE_SHARE));
                throughCore = m;
            }
            row.put("bench JVM CPU ms/unit (simulators + driver)", String.format(Locale.ROOT, "%.2f", m.driverMs / m.units));
            row.put("units/s (wall)", String.format(Locale.ROOT, "%.1f", m.units / m.seconds));
            row.put("errors", m.errors);
            table.add(row);
            labels.add(unit);
            mediatorMs.add(perUnit);
            goals.add(GOAL.getOrDefault(unit, 0.0));
            if (GOAL.containsKey(unit)) lines.put(unit, new Summary.Line(String.format(Locale.ROOT, "%s %.2f ms%s", unit, perUnit, m.errors == 0 ? "" : ", " + m.errors + " errors"),
                    GOAL_TEXT.get(unit), perUnit <= GOAL.get(unit) && m.errors == 0));
            StringBuilder split = new StringBuilder(unit + ": mediator CPU ms/unit by thread group:");
            m.threads.entrySet().stream().filter(e -> e.getValue() > 0).sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                    .forEach(e -> split.append(String.format(Locale.ROOT, " %s %.2f;", e.getKey(), e.getValue() / m.units)));
            split.append(String.format(Locale.ROOT, " of all threads' CPU, kernel (system) time %.2f ms/unit", m.kernelMs / m.units));
            table.note(split.toString());
            System.out.println(split);
        }
        Chart chart = new Chart("mediator CPU per unit of work", "unit", "CPU ms", labels).series("mediator", mediatorMs).series("goal", goals);
        // one line per goal: the units this run did not measure say so (and SUMMARY.md keeps their last figure)
        for (String unit : GOAL.keySet()) {
            Summary.Line l = lines.get(unit);
            if (l == null) table.target("not measured in this run", GOAL_TEXT.get(unit), null);
            else table.target(l.headline(), l.target(), "MET".equals(l.status()));
        }
        if (throughCore == null) {
            table.target("not measured in this run (unit forms-core)", CORE_TARGET, null);
        } else {
            Measured m = throughCore;
            double mediator = m.mediatorMs / m.units, core = m.core.coreMs / m.units, mongo = m.core.mongoMs / m.units;
            table.target(String.format(Locale.ROOT, "per form through core: mediator %.2f ms, OpenHIM core (node) %.2f ms, MongoDB stand-in %.2f ms; mediator / core = %.2f",
                    mediator, core, mongo, mediator / core), CORE_TARGET, mediator <= CORE_SHARE * core && m.errors == 0);
            chart.beside(new Chart("forms-core: CPU per form, same run", "process", "CPU ms",
                    List.of("mediator", "OpenHIM core (node)", "MongoDB stand-in", "goal: 0.2 x core"))
                    .series("CPU ms per transaction", List.of(mediator, core, mongo, CORE_SHARE * core)));
        }
        table.chart(chart);
        table.note("Mediator CPU = utime + stime of the mediator's own JVM (/proc/<pid>/stat, 10 ms ticks) over the measured units, divided by "
                + "their number; GC, JIT and every thread of the mediator included. Each mediator runs in a child JVM with the JVM options ./suite and docker/ use (-Xmx256m, referral 512m, mediator-configs/java-options, no AppCDS archive, a start-up saving; CPU is measured after the warm-up), "
                + "warmed up with the given number of units first. Simulators (WireMock) and the driver run in the bench JVM.");
        table.note("Goals are judged at concurrency " + concurrency + " (one unit at a time: every thread a unit passes through is "
                + "woken from sleep with cold caches, the dearest case). \"at c=" + busyConcurrency() + "\": the same units again right after, "
                + busyConcurrency() + " at a time, what a busy mediator spends per unit; not measured for the feed (its lanes are already parallel).");
        table.note("OpenHIM core is in the path of forms-core only; the other units call the mediators directly (as core's router would). "
                + "forms-core: a real OpenHIM core 4.0.5 as ./suite up runs it (scripts/openhim-core.sh start --persistent: node master + "
                + "worker, and the openhim-local JVM holding the MongoDB stand-in, mongo-java-server on an H2 file, -Xmx512m SerialGC), "
                + "free ports; the mediator registers with it and its default forms channel is installed (^/commcare/forms$, role chis; "
                + "not the polling channels, whose feed catch-up would add to the forms' CPU), the "
                + "driver posts the forms to core's router as client " + CORE_CLIENT + " (Basic), core routes them to the mediator "
                + "(Basic openhim-core) and stores each transaction with its body and the mediator's orchestrations. Over the same "
                + "measured units, after the same warm-up: core's CPU = utime + stime of its node master and every descendant, "
                + "MongoDB's = the openhim-local JVM's (the stand-in and that JVM's JIT/GC), each from /proc/<pid>/stat; the window "
                + "ends once core's CPU has stopped rising (it stores a transaction's end after it answered).");
        table.note("forms: a new person's registration form each time (find by identifier, matcher search, create patient, start visit, "
                + "encounter, 5 obs, end visit, case lookup, case write-back = 13 calls). feed: N/2 new patients + one encounter each, "
                + "polled until caught up (feeds.parallelism 16). sms: an accepted ANC report (patient lookup, encounter, OpenSRP event). "
                + "referral: intake (OpenMRS + FHIR Patient, ServiceRequest, Task), in-progress, completed (CommCare status forms). "
                + "floor / floor-sms (no goal): StackFloorProcess, started like the mediators (same JVM options), takes the request in through "
                + "Pekko HTTP with MediatorServer's dispatcher settings, makes 13 (3) GETs to the OpenMRS simulator through the mediators' "
                + "OkHttp client and answers; no state, recording or JSON: what the JVM, the kernel and the two HTTP libraries alone cost "
                + "per form-shaped (SMS-shaped) unit here, the floor under those goals.");
        table.note("PostgreSQL: a throwaway local server (common's PostgresServer, fsync off), a fresh schema per run.");
    }

    private record Measured(String label, String mediator, String state, int units, int warmup, String calls,
                            double mediatorMs, double kernelMs, double driverMs, double seconds, long errors, Map<String, Double> threads, CoreCpu core,
                            double busyMsPerUnit) {}

    /** OpenHIM core's and its MongoDB stand-in's CPU ms over the measured units (forms-core). */
    private record CoreCpu(double coreMs, double mongoMs) {}

    /**
     * Measures {@code n} units after a warm-up of at least {@code warmup} units that goes on until the JIT has
     * settled: a mediator runs for weeks, so what counts is its CPU once C2 has compiled the hot paths; the JIT's
     * share while measuring is still reported in the thread-group split.
     */
    private Measured measure(ChildJvm child, String label, String mediator, String state, String calls, UnitCall call) throws Exception {
        return measure(child, null, label, mediator, state, calls, call);
    }

    /** As above; with {@code core} (the units go through it), core's and MongoDB's CPU over the same units too. */
    private Measured measure(ChildJvm child, CoreChild core, String label, String mediator, String state, String calls, UnitCall call) throws Exception {
        int warmed = warmUp(child, label, (from, count, asMeasured) -> {
            long errors = run(call, from, count, asMeasured ? concurrency : Math.max(concurrency, warmupConcurrency));
            if (errors > count / 100) throw new IllegalStateException(label + ": " + errors + " of " + count + " warm-up units failed\n" + child.tail());
        });
        double coreBefore = core == null ? 0 : core.coreMillis();
        double mongoBefore = core == null ? 0 : core.mongoMillis();
        CpuWindow window = CpuWindow.open(child.pid());
        long errors = run(call, warmed, n, concurrency);
        double seconds = window.seconds();
        CoreCpu coreUsed = null;
        if (core != null) {
            settle(core);
            coreUsed = new CoreCpu(core.coreMillis() - coreBefore, core.mongoMillis() - mongoBefore);
        }
        CpuWindow.Used u = window.close(seconds);
        double busy = busy(child, call, warmed + n);
        return new Measured(label, mediator, state, n, warmed, calls, u.mediatorMs(), u.kernelMs(), u.driverMs(), u.seconds(), errors, u.threads(), coreUsed, busy);
    }

    private int busyConcurrency() { return Math.max(concurrency, warmupConcurrency); }

    /**
     * The same units again at the warm-up's wider concurrency (c=8), for comparison only (the goals are judged at
     * {@code concurrency}): one at a time, every thread a unit passes through is woken from sleep and finds its caches
     * cold, which a busy mediator does not pay. NaN when the measurement itself ran that wide.
     */
    private double busy(ChildJvm child, UnitCall call, int from) throws Exception {
        if (busyConcurrency() == concurrency) return Double.NaN;
        CpuWindow window = CpuWindow.open(child.pid());
        long errors = run(call, from, n, busyConcurrency());
        CpuWindow.Used u = window.close(window.seconds());
        return errors > n / 100 ? Double.NaN : u.mediatorMs() / n;
    }

    /**
     * Core answers a transaction before it stores its end (response, orchestrations, metrics): waits until its CPU has
     * not risen for 300 ms (at most 5 s), so the last units' storing is counted.
     */
    private static void settle(CoreChild core) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        double last = core.coreMillis() + core.mongoMillis();
        while (System.nanoTime() < deadline) {
            Thread.sleep(300);
            double now = core.coreMillis() + core.mongoMillis();
            if (now == last) return;
            last = now;
        }
    }

    /** Runs units {@code from .. from+count-1} of the warm-up; {@code asMeasured}: under the measurement's conditions. */
    private interface WarmUpRound {
        void run(int from, int count, boolean asMeasured) throws Exception;
    }

    /**
     * Warms up: {@code warmup} units in rounds at the wider warm-up concurrency (fast), then rounds of {@code settleRound}
     * units under the measurement's own conditions until the JIT threads use under 5% of a round's CPU (at most
     * {@code warmupMax} units in all). The settling rounds run as measured because the JIT kept compiling when the
     * measurement at c=1 followed a warm-up at c=8 only (2.5 of 14.2 ms per form was JIT): parked-and-woken threads and
     * one-at-a-time calls take code paths the busy warm-up did not. Returns the units run.
     */
    private int warmUp(ChildJvm child, String label, WarmUpRound round) throws Exception {
        int done = 0;
        while (true) {
            boolean settling = done >= warmup;
            int count = settling ? settleRound : Math.min(warmupRound, warmup - done);
            CpuWindow window = CpuWindow.open(child.pid());
            round.run(done, count, settling);
            done += count;
            CpuWindow.Used u = window.close(window.seconds());
            double jit = u.threads().getOrDefault("JIT", 0.0);
            double all = u.mediatorMs();
            System.out.printf(Locale.ROOT, "  warm-up %s: %d units, last round (%s) JIT %.2f of %.2f ms/unit%n", label, done,
                    settling ? "as measured" : "c=" + Math.max(concurrency, warmupConcurrency), jit / count, all / count);
            if (settling && (jit <= 0.05 * all || done >= warmupMax)) return done;
        }
    }

    /** Unit number {@code i}: answers true when it was done as expected. */
    private interface UnitCall {
        boolean send(long i) throws Exception;
    }

    private long run(UnitCall call, int from, int count, int concurrency) throws Exception {
        if (count == 0) return 0;
        AtomicLong next = new AtomicLong(from);
        AtomicLong errors = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < concurrency; t++) {
                done.add(pool.submit(() -> {
                    long i;
                    while ((i = next.getAndIncrement()) < from + count) {
                        boolean ok;
                        try {
                            ok = call.send(i);
                        } catch (IOException e) {
                            // a connection the mediator dropped is a failed unit like a 5xx: counted, and the unit reported
                            // "not measured" past 1%, instead of ending the run and losing the units measured before
                            System.out.printf(Locale.ROOT, "  unit %d failed: %s%n", i, e);
                            ok = false;
                        }
                        if (!ok) errors.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) f.get();
        } finally {
            pool.shutdownNow();
        }
        return errors.get();
    }

    private Measured formsPostgres(Path dir) throws Exception {
        try (PostgresServer pg = PostgresServer.start()) {
            return forms(dir, pg.jdbcUrl(), List.of("db.user=" + pg.user(), "db.password=" + pg.password(),
                    "db.schema=bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12)), false);
        }
    }

    /** New-patient forms, posted to the mediator, or with {@code throughCore} to a real OpenHIM core that routes them to it. */
    private Measured forms(Path dir, String dbUrl, List<String> dbSettings, boolean throughCore) throws Exception {
        try (OpenMrsSimulator openmrs = new OpenMrsSimulator(0); CommCareSimulator hq = new CommCareSimulator(0);
             CoreChild core = throughCore ? CoreChild.start(dir.resolve("openhim")) : null) {
            hq.keepFormXml(false);
            openmrs.latency(latency);
            hq.latency(latency);
            List<String> args = new ArrayList<>(List.of("db.url=" + dbUrl, "db.poolSize=20",
                    "openmrs.url=" + openmrs.baseUrl(), "openmrs.user=" + OpenMrsSimulator.USER, "openmrs.password=" + OpenMrsSimulator.PASSWORD,
                    "commcare.url=" + hq.baseUrl(), "commcare.domain=" + CommCareSimulator.DOMAIN, "commcare.user=" + CommCareSimulator.USER,
                    "commcare.apiKey=" + CommCareSimulator.API_KEY));
            args.addAll(dbSettings);
            // registered with core, core's routes authenticated, heartbeat at its default period; only the forms channel is
            // installed (routeThrough): the default polling channels would add feed catch-up work to the measured units
            if (core != null) args.addAll(MediatorProcess.args(MediatorTestSettings.registeredWith(core.settingsFor())
                    .set("mediator.heartbeat.periodMs", "10000").set("core.channels.install", "false").map()));
            try (ChildJvm child = launch("commcare-openmrs", dir, args)) {
                int port = child.awaitReady(READY_WAIT);
                JsonNode template = FormsSagaBenchmark.demoForm();
                HttpClient http = LoadDriver.httpClient();
                String url = (core == null ? "http://127.0.0.1:" + port : core.routerUrl()) + "/commcare/forms";
                String auth = core == null ? null : "Basic " + Base64.getEncoder().encodeToString((CORE_CLIENT + ":" + CORE_CLIENT_PASSWORD).getBytes(StandardCharsets.UTF_8));
                if (core != null) routeThrough(core, child);
                String state = dbUrl.startsWith("jdbc:h2") ? "H2 file" : "PostgreSQL";
                return measure(child, core, core == null ? "new-patient form" : "new-patient form through OpenHIM core", "commcare-openmrs",
                        state, "13", i -> {
                    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                            .header("Content-Type", "application/json; charset=utf-8");
                    if (auth != null) b.header("Authorization", auth);
                    HttpRequest r = b.POST(HttpRequest.BodyPublishers.ofString(Json.write(FormsSagaBenchmark.form(template, i)), StandardCharsets.UTF_8)).build();
                    boolean ok = http.send(r, HttpResponse.BodyHandlers.discarding()).statusCode() == 201;
                    if (i % 50 == 0) {
                        openmrs.wireMock().resetRequests();
                        hq.wireMock().resetRequests();
                    }
                    return ok;
                });
            }
        }
    }

    /**
     * Once the mediator is registered, installs its default forms channel (as the console's install button does) and
     * adds the driver's client; returns when the router can have seen both.
     */
    private static void routeThrough(CoreChild core, ChildJvm mediator) throws IOException {
        CoreAdmin admin = core.admin();
        String urn = Json.parse(Files.readString(Path.of("mediator-configs", "commcare-openmrs", "mediator-registration-info.json"))).path("urn").asText();
        admin.await("the mediator registered with core (mediator log:\n" + mediator.tail() + ")", Duration.ofSeconds(90),
                () -> admin.mediator(urn).isPresent());
        admin.createClient(CORE_CLIENT, CORE_CLIENT_PASSWORD, "chis");
        admin.installMediatorChannels(urn, "CommCare forms -> OpenMRS");
    }

    /**
     * The stack's floor: {@link StackFloorProcess} (Pekko HTTP in, {@code calls} OkHttp GETs out to the OpenMRS simulator
     * at the same latency, nothing else) measured exactly like the forms (13 calls) and SMS reports (3), so each goal can
     * be read against what the JVM, the kernel and the two HTTP libraries alone cost per unit on this machine.
     */
    private Measured stackFloor(Path dir, int calls) throws Exception {
        try (OpenMrsSimulator openmrs = new OpenMrsSimulator(0)) {
            openmrs.latency(latency);
            String upstream = openmrs.baseUrl() + "/ws/rest/v1/patient?identifier=NOBODY&v=default";
            try (ChildJvm child = ChildJvm.launch("256m", StackFloorProcess.class, dir.resolve("floor.log"), List.of(upstream, String.valueOf(calls),
                    "Basic " + Base64.getEncoder().encodeToString((OpenMrsSimulator.USER + ":" + OpenMrsSimulator.PASSWORD).getBytes(StandardCharsets.UTF_8))))) {
                int port = child.awaitReady(READY_WAIT);
                HttpClient http = LoadDriver.httpClient();
                URI url = URI.create("http://127.0.0.1:" + port + "/commcare/forms");
                String body = Json.write(FormsSagaBenchmark.demoForm());
                return measure(child, "stack floor: 1 request in, " + calls + " GETs out, nothing else", "(none: Pekko HTTP + OkHttp only)", "none",
                        String.valueOf(calls), i -> {
                    HttpRequest r = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json; charset=utf-8")
                            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
                    boolean ok = http.send(r, HttpResponse.BodyHandlers.discarding()).statusCode() == 201;
                    if (i % 50 == 0) openmrs.wireMock().resetRequests();
                    return ok;
                });
            }
        }
    }

    /** Feed entries: each "unit" here is a batch published and polled; the figures are per entry. */
    private Measured feed(Path dir) throws Exception {
        try (OpenMrsSimulator openmrs = new OpenMrsSimulator(0); CommCareSimulator hq = new CommCareSimulator(0)) {
            hq.keepFormXml(false);
            List<String> args = List.of("db.url=" + h2(dir),
                    "openmrs.url=" + openmrs.baseUrl(), "openmrs.user=" + OpenMrsSimulator.USER, "openmrs.password=" + OpenMrsSimulator.PASSWORD,
                    "commcare.url=" + hq.baseUrl(), "commcare.domain=" + CommCareSimulator.DOMAIN, "commcare.user=" + CommCareSimulator.USER,
                    "commcare.apiKey=" + CommCareSimulator.API_KEY, "feeds.batchSize=100", "feeds.parallelism=16");
            try (ChildJvm child = launch("commcare-openmrs", dir, args)) {
                int port = child.awaitReady(READY_WAIT);
                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
                HttpRequest poll = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/openmrs/feeds/poll"))
                        .timeout(Duration.ofMinutes(10)).POST(HttpRequest.BodyPublishers.noBody()).build();
                int warmed = warmUp(child, "feed entry", (from, count, asMeasured) -> {
                    openmrs.latency(asMeasured ? latency : 0);
                    hq.latency(asMeasured ? latency : 0);
                    publish(openmrs, from / 2, count / 2);
                    catchUp(http, poll, openmrs, hq, child);
                }) / 2;
                publish(openmrs, warmed, n / 2);
                CpuWindow window = CpuWindow.open(child.pid());
                catchUp(http, poll, openmrs, hq, child);
                CpuWindow.Used u = window.close(window.seconds());
                int entries = 2 * (n / 2);
                long missing = (warmed + n / 2) - hq.cases().size();
                return new Measured("feed entry", "commcare-openmrs", "H2 file", entries, 2 * warmed, "2.2", u.mediatorMs(), u.kernelMs(), u.driverMs(), u.seconds(), Math.abs(missing), u.threads(), null, Double.NaN);
            }
        }
    }

    private static void publish(OpenMrsSimulator openmrs, int from, int count) {
        OffsetDateTime when = OffsetDateTime.now(ZoneOffset.UTC).minusHours(1);
        for (int i = from; i < from + count; i++) {
            String uuid = openmrs.registerPatient("Cpu" + i, "Patient", i % 2 == 0 ? "F" : "M", LocalDate.of(1990, 1, 1).plusDays(i % 3000), "C-" + i);
            openmrs.recordEncounter(uuid, OpenMrsSimulator.ENCOUNTER_TYPE_VITALS, when, Map.of(OpenMrsSimulator.CONCEPT_WEIGHT, 50 + i % 40));
        }
    }

    private static void catchUp(HttpClient http, HttpRequest poll, OpenMrsSimulator openmrs, CommCareSimulator hq, ChildJvm child) throws Exception {
        while (true) {
            JsonNode envelope = Json.parse(http.send(poll, HttpResponse.BodyHandlers.ofString()).body());
            if (envelope.path("status").asText().equals("Failed")) throw new IllegalStateException("poll failed: " + envelope + "\n" + child.tail());
            openmrs.wireMock().resetRequests();
            hq.wireMock().resetRequests();
            if (!Json.parse(envelope.path("response").path("body").asText("{}")).path("more").asBoolean()) return;
        }
    }

    private Measured sms(Path dir) throws Exception {
        try (OpenMrsSimulator openmrs = new OpenMrsSimulator(0); RapidProSimulator rapidpro = new RapidProSimulator(0)) {
            WireMockServer opensrp = new WireMockServer(WireMockConfiguration.options().dynamicPort().bindAddress("127.0.0.1").containerThreads(32));
            opensrp.start();
            try {
                opensrp.stubFor(post(urlPathEqualTo("/opensrp/rest/event/add")).willReturn(aResponse().withStatus(201).withFixedDelay(latency)));
                openmrs.addMetadata("encountertype", "2549af50-75c8-4aeb-87ca-4bb2cef6c69a", "ANC");
                openmrs.addConcept("1425AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Antenatal visit number", "Numeric");
                // each mother reports visits ANC1..ANC8 once (the card refuses a repeat of id + visit); she is
                // registered when her first report is sent, so a long warm-up never runs out of mothers
                Map<Long, String> ids = new ConcurrentHashMap<>();
                LongFunction<String> mother = k -> ids.computeIfAbsent(k, x -> {
                    String body = String.valueOf(10000 + x);
                    String id = body + CheckDigit.LUHN_MOD30.compute(body);
                    openmrs.registerPatient("Mama", "P" + x, "F", LocalDate.of(1997, 1, 1), id);
                    return id;
                });
                openmrs.latency(latency);
                List<String> args = List.of("db.url=" + h2(dir),
                        "openmrs.url=" + openmrs.baseUrl(), "openmrs.user=" + OpenMrsSimulator.USER, "openmrs.password=" + OpenMrsSimulator.PASSWORD,
                        "rapidpro.url=" + rapidpro.baseUrl(), "rapidpro.token=" + rapidpro.token(),
                        "opensrp.url=http://127.0.0.1:" + opensrp.port() + "/opensrp", "sms.clock.fixed=2026-06-15T09:00:00Z", "sms.timezone=UTC",
                        "sms.inlineReplyMs=60000" /* every unit answered inline, also on a loaded machine */);
                try (ChildJvm child = launch("sms-codecard", dir, args)) {
                    int port = child.awaitReady(READY_WAIT);
                    HttpClient http = LoadDriver.httpClient();
                    String url = "http://127.0.0.1:" + port + "/sms/inbound";
                    return measure(child, "accepted SMS report", "sms-codecard", "H2 file", "3", i -> {
                        String text = "ANC " + mother.apply(i / 8) + " ANC" + (1 + i % 8) + " LMP 01022026 WT 60";
                        String body = RapidProSimulator.flowWebhook(UUID.randomUUID().toString(), "c-1", "John", "tel:+255712000002", "eng", text).toString();
                        HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
                        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
                        if (i % 50 == 0) {
                            openmrs.wireMock().resetRequests();
                            opensrp.resetRequests();
                        }
                        return r.statusCode() == 200 && r.body().contains("\\\"kind\\\":\\\"ok\\\"");
                    });
                }
            } finally {
                opensrp.stop();
            }
        }
    }

    private Measured referral(Path dir) throws Exception {
        try (ReferralUpstreams upstreams = new ReferralUpstreams(latency)) {
            CommCareSimulator hq = upstreams.hq;
            List<String> args = MediatorProcess.args(upstreams.mediatorSettings(h2(dir)));
            try (ChildJvm child = launch("referral", dir, args)) {
                int port = child.awaitReady(READY_WAIT);
                HttpClient http = LoadDriver.httpClient();
                String base = "http://127.0.0.1:" + port;
                List<String> cases = new ArrayList<>();
                for (int i = 0; i < 64; i++) cases.add(hq.registerCase("client", "Cpu " + i, null, CommCareSimulator.props()));
                return measure(child, "referral round trip", "referral", "H2 file", "16", i -> {
                    String id = UUID.randomUUID().toString();
                    int status = ReferralRoundTripBenchmark.roundTrip(http, base, id, cases.get((int) (i % cases.size())), "CPU-" + i);
                    boolean ok = status == 200;
                    if (!ok) System.out.printf(Locale.ROOT, "  referral round trip %d (referral %s) failed: HTTP %d%n", i, id, status);
                    if (i % 50 == 0) upstreams.resetRequests();
                    return ok;
                });
            }
        }
    }

    /** The H2 file URL; {@code bench.cpu.h2Options} (e.g. ";RETENTION_TIME=0") is appended, for A/B runs of H2 settings. */
    private static String h2(Path dir) {
        return "jdbc:h2:file:" + dir.resolve("state") + ";AUTO_SERVER=FALSE" + System.getProperty("bench.cpu.h2Options", "");
    }

    private static ChildJvm launch(String mediator, Path dir, List<String> settings) throws Exception {
        List<String> args = new ArrayList<>(List.of(mediator, Path.of("mediator-configs", mediator).toAbsolutePath().toString()));
        args.addAll(settings);
        // referral's FHIR validator holds HAPI's R4 specification (~200 MB): it runs with 512 MB, as ./suite and docker start it
        return ChildJvm.launch(mediator.equals("referral") ? "512m" : "256m", MediatorProcess.class, dir.resolve("mediator.log"), args);
    }
}
