package org.chis.bench.replicas;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.chis.bench.BenchTable;
import org.chis.bench.Benchmark;
import org.chis.bench.Chart;
import org.chis.bench.ChildJvm;
import org.chis.bench.LoadDriver;
import org.chis.bench.LoadResult;
import org.chis.bench.Nginx;
import org.chis.bench.cpu.MediatorProcess;
import org.chis.bench.cpu.ProcessCpu;
import org.chis.bench.forms.FormsSagaBenchmark;
import org.chis.common.json.Json;
import org.chis.common.testing.PostgresServer;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;

/**
 * {@code replicas}: new-person registration forms per second through nginx in front of 1, 2 and 3 commcare-openmrs
 * replicas (child JVMs, {@code db.replicas=many}) on one PostgreSQL database, with the per-person advisory lock in
 * the path. Closed loop at {@code bench.replicas.concurrency} (16), upstream latency {@code bench.replicas.latency}
 * (5 ms), a warm-up of {@code bench.replicas.warmupSeconds} (10) then {@code bench.replicas.seconds} (30) measured;
 * {@code bench.replicas.counts} (1,2,3). The 1-minute load average is written next to each row: the machine is shared.
 */
public final class ReplicasBenchmark implements Benchmark {
    /** Calls per new-person form (find, matcher search, create patient, visit, encounter, 5 obs, end visit, case lookup, write-back). */
    private static final int STEPS = 13;

    private final int concurrency = Integer.getInteger("bench.replicas.concurrency", 16);
    private final int latency = Integer.getInteger("bench.replicas.latency", 5);
    private final int warmupSeconds = Integer.getInteger("bench.replicas.warmupSeconds", 10);
    private final int seconds = Integer.getInteger("bench.replicas.seconds", 30);

    @Override
    public String name() { return "replicas"; }

    @Override
    public String description() { return "forms/s through nginx with 1, 2, 3 commcare-openmrs replicas on one PostgreSQL"; }

    @Override
    public void run(BenchTable table) throws Exception {
        List<Integer> counts = new ArrayList<>();
        for (String c : System.getProperty("bench.replicas.counts", "1,2,3").split(",")) if (!c.isBlank()) counts.add(Integer.parseInt(c.trim()));
        double ideal = concurrency * 1000.0 / (STEPS * latency);
        List<String> labels = new ArrayList<>();
        List<Double> rates = new ArrayList<>();
        List<String> headline = new ArrayList<>();
        boolean noErrors = true;
        boolean allNearIdeal = true;
        try (PostgresServer pg = PostgresServer.start()) {
            for (int replicas : counts) {
                Measured m = measure(pg, replicas);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("replicas", replicas);
                row.put("concurrency", concurrency);
                row.put("upstream latency ms", latency);
                row.put("forms measured", m.forms);
                row.put("forms/s", String.format(Locale.ROOT, "%.1f", m.rate));
                row.put("% of ideal c/(13 x latency)", String.format(Locale.ROOT, "%.0f%%", 100 * m.rate / ideal));
                row.put("p50 ms", String.format(Locale.ROOT, "%.0f", m.p50ms));
                row.put("p99 ms", String.format(Locale.ROOT, "%.0f", m.p99ms));
                row.put("mediator CPU ms/form (all replicas)", String.format(Locale.ROOT, "%.1f", m.cpuMsPerForm));
                row.put("errors", m.errors);
                row.put("patients created / forms", m.patients + " / " + m.sent);
                row.put("load average (1 min)", m.load);
                table.add(row);
                labels.add(replicas + " replica" + (replicas == 1 ? "" : "s"));
                rates.add(m.rate);
                headline.add(String.format(Locale.ROOT, "%d: %.1f forms/s (%.0f%%, load %s)", replicas, m.rate, 100 * m.rate / ideal, m.load));
                noErrors &= m.errors == 0 && m.patients == m.sent;
                allNearIdeal &= m.rate >= 0.8 * ideal;
            }
        }
        table.chart(new Chart("forms/s through nginx by replicas (c=" + concurrency + ", " + latency + " ms upstream)", "replicas", "forms/s", labels)
                .series("forms/s", rates));
        table.target("replicas " + String.join("; ", headline) + (noErrors ? ", 0 errors, one patient per form" : ", ERRORS or duplicate patients"),
                "issue 14.4: forms/s with 1, 2, 3 replicas behind a load balancer on one PostgreSQL, no duplicate patient", noErrors);
        table.target("replicas at c=" + concurrency + ": " + String.join("; ", headline),
                "issue 14.3: forms >= 80% of the ideal c/(steps x latency) = " + String.format(Locale.ROOT, "%.0f", ideal) + " forms/s", allNearIdeal);
        table.note("Each replica: the commcare-openmrs mediator in a child JVM (-Xmx256m, mediator-configs/java-options), db.replicas=many, state in one schema of a "
                + "throwaway local PostgreSQL (common's PostgresServer, fsync off); nginx (the distribution's, generated config: upstream of the "
                + "replicas, keepalive 32, proxy_next_upstream error timeout) in front. Simulators (WireMock) and the driver run in the bench JVM.");
        table.note("Load: closed loop, each request a new person's registration form (13 upstream calls), " + warmupSeconds + " s warm-up, then "
                + seconds + " s measured. Mediator CPU = utime + stime of all replica JVMs over the measured window / forms answered.");
        table.note("On this 2-core machine the replicas, PostgreSQL, nginx, simulators and driver share the same two cores with other "
                + "engineers' builds: more replicas cannot add CPU here; the figures show the cost of scale-out, not its gain on real hosts.");
    }

    private record Measured(long forms, double rate, double p50ms, double p99ms, double cpuMsPerForm, long errors, long patients, long sent, String load) {}

    private Measured measure(PostgresServer pg, int replicas) throws Exception {
        Path dir = Files.createTempDirectory("bench-replicas-" + replicas);
        String schema = "bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (OpenMrsSimulator openmrs = new OpenMrsSimulator(0); CommCareSimulator hq = new CommCareSimulator(0)) {
            hq.keepFormXml(false);
            openmrs.latency(latency);
            hq.latency(latency);
            List<String> args = new ArrayList<>(List.of("commcare-openmrs", Path.of("mediator-configs", "commcare-openmrs").toAbsolutePath().toString(),
                    "db.url=" + pg.jdbcUrl(), "db.user=" + pg.user(), "db.password=" + pg.password(), "db.schema=" + schema,
                    "db.replicas=many", "db.poolSize=20",
                    "openmrs.url=" + openmrs.baseUrl(), "openmrs.user=" + OpenMrsSimulator.USER, "openmrs.password=" + OpenMrsSimulator.PASSWORD,
                    "commcare.url=" + hq.baseUrl(), "commcare.domain=" + CommCareSimulator.DOMAIN, "commcare.user=" + CommCareSimulator.USER,
                    "commcare.apiKey=" + CommCareSimulator.API_KEY));
            List<ChildJvm> children = new ArrayList<>();
            Nginx nginx = null;
            try {
                for (int r = 1; r <= replicas; r++) children.add(ChildJvm.launch("256m", MediatorProcess.class, dir.resolve("replica-" + r + ".log"), args));
                List<Integer> ports = new ArrayList<>();
                for (ChildJvm c : children) ports.add(c.awaitReady(Duration.ofSeconds(120)));
                nginx = Nginx.start(dir.resolve("nginx"), ports);
                String url = nginx.url() + "/commcare/forms";
                JsonNode template = FormsSagaBenchmark.demoForm();
                HttpClient http = LoadDriver.httpClient();
                AtomicLong n = new AtomicLong();
                LoadDriver.Call call = () -> {
                    HttpRequest r = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                            .header("Content-Type", "application/json; charset=utf-8")
                            .POST(HttpRequest.BodyPublishers.ofString(Json.write(FormsSagaBenchmark.form(template, n.incrementAndGet())), StandardCharsets.UTF_8)).build();
                    int status = http.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
                    if (n.get() % 50 == 0) {
                        openmrs.wireMock().resetRequests();
                        hq.wireMock().resetRequests();
                    }
                    return status == 201 ? 201 : Math.max(400, status);
                };
                new LoadDriver(Duration.ZERO, Duration.ofSeconds(warmupSeconds)).run(concurrency, call);
                double cpuBefore = cpu(children);
                LoadResult result = new LoadDriver(Duration.ZERO, Duration.ofSeconds(seconds)).run(concurrency, call);
                double cpuUsed = cpu(children) - cpuBefore;
                String load = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0];
                long patients = openmrs.patients().size();
                return new Measured(result.requests(), result.requests() / result.seconds(), result.p50Ms(), result.p99Ms(),
                        cpuUsed / Math.max(1, result.requests()), result.errors(), patients, n.get(), load);
            } finally {
                if (nginx != null) nginx.close();
                for (ChildJvm c : children) c.close();
                try (var c = pg.connect(); var st = c.createStatement()) {
                    st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
                }
            }
        }
    }

    private static double cpu(List<ChildJvm> children) {
        double sum = 0;
        for (ChildJvm c : children) sum += ProcessCpu.millis(c.pid());
        return sum;
    }
}
