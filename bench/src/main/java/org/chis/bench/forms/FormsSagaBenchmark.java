package org.chis.bench.forms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.chis.bench.TempFolders;
import org.chis.bench.BenchTable;
import org.chis.bench.Benchmark;
import org.chis.bench.DirectComparison;
import org.chis.bench.JvmPeaks;
import org.chis.bench.LoadDriver;
import org.chis.bench.LoadResult;
import org.chis.bench.ThreadCpu;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorApp;
import org.chis.mediator.commcareopenmrs.Main;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import java.util.UUID;

/**
 * {@code forms-saga}: CommCare registration forms/s through the commcare-openmrs forms workflow, closed loop at
 * concurrency 1/16/64, with the OpenMRS and CommCare simulators answering after a fixed latency (default 5 ms).
 * Every form is a new person (own form id, case id, national id, family name), so each one runs the whole saga:
 * find by identifier, matcher search, create patient, start visit, create encounter, 5 observations, end visit,
 * case lookup and the case write-back form — 13 upstream calls. The mediator runs in this JVM, state in an H2 file.
 * Properties: {@code bench.forms.concurrency} ("1,16,64,200"), {@code bench.forms.latency} (5),
 * {@code bench.forms.warmupSeconds} (5), {@code bench.forms.seconds} (15).
 */
public final class FormsSagaBenchmark implements Benchmark {
    /** Upstream calls of one new-person registration form (used when no answer was sampled). */
    private static final int STEPS = 13;

    @Override
    public String name() { return "forms-saga"; }

    @Override
    public String description() { return "commcare-openmrs: registration forms/s through the OpenMRS saga (13 upstream calls), simulators at 5 ms"; }

    @Override
    public void run(BenchTable table) throws Exception {
        List<Integer> concurrency = Arrays.stream(System.getProperty("bench.forms.concurrency", "1,16,64,200").split(","))
                .map(String::trim).map(Integer::parseInt).toList();
        int latency = Integer.getInteger("bench.forms.latency", 5);
        Duration warmup = Duration.ofSeconds(Integer.getInteger("bench.forms.warmupSeconds", 5));
        Duration measure = Duration.ofSeconds(Integer.getInteger("bench.forms.seconds", 15));
        Path dir = Files.createTempDirectory("forms-bench");
        String loadBefore = loadAverage();
        Map<Integer, Double> ratios = new LinkedHashMap<>();
        try (OpenMrsSimulator openmrs = new OpenMrsSimulator(0); CommCareSimulator hq = new CommCareSimulator(0)) {
            hq.keepFormXml(false);
            openmrs.latency(latency);
            hq.latency(latency);
            Map<String, String> s = new HashMap<>();
            s.put("mediator.port", "0");
            s.put("mediator.host", "127.0.0.1");
            s.put("mediator.bind", "127.0.0.1");
            s.put("mediator.inbound.username", "");
            s.put("core.register", "false");
            s.put("db.url", "jdbc:h2:file:" + dir.resolve("state") + ";AUTO_SERVER=FALSE");
            s.put("db.poolSize", "20");
            s.put("openmrs.url", openmrs.baseUrl());
            s.put("openmrs.user", OpenMrsSimulator.USER);
            s.put("openmrs.password", OpenMrsSimulator.PASSWORD);
            s.put("commcare.url", hq.baseUrl());
            s.put("commcare.domain", CommCareSimulator.DOMAIN);
            s.put("commcare.user", CommCareSimulator.USER);
            s.put("commcare.apiKey", CommCareSimulator.API_KEY);
            MediatorApp app = Main.start(MediatorApp.create("commcare-openmrs", Settings.of(s, Path.of("mediator-configs/commcare-openmrs"))));
            try {
                JsonNode template = demoForm();
                HttpClient http = LoadDriver.httpClient();
                String url = "http://127.0.0.1:" + app.port() + "/commcare/forms";
                AtomicLong seq = new AtomicLong();
                // every 8th answer's orchestrations: upstream calls per form and the time spent in them (parsing
                // every envelope would load the driver); reset per row
                List<EnvelopeTimes> sampled = Collections.synchronizedList(new ArrayList<>());
                List<Double> sampledTotalMs = Collections.synchronizedList(new ArrayList<>());
                LoadDriver.Call call = () -> {
                    long n = seq.incrementAndGet();
                    HttpRequest r = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                            .header("Content-Type", "application/json; charset=utf-8")
                            .POST(HttpRequest.BodyPublishers.ofString(Json.write(form(template, n)), StandardCharsets.UTF_8)).build();
                    long t0 = System.nanoTime();
                    HttpResponse<String> res = http.send(r, HttpResponse.BodyHandlers.ofString());
                    if (res.statusCode() == 201 && n % 8 == 0) {
                        double total = (System.nanoTime() - t0) / 1e6;
                        EnvelopeTimes t = EnvelopeTimes.of(res.body());
                        synchronized (sampled) {
                            sampled.add(t);
                            sampledTotalMs.add(total);
                        }
                    }
                    // anything but a fully written form (201) is an error here: a skip would flatter the figure
                    return res.statusCode() == 201 ? 201 : Math.max(400, res.statusCode());
                };
                DirectComparison direct = FormsDirect.record(openmrs, hq, http, url, template, warmup, measure);
                for (int c : concurrency) {
                    LoadResult d = direct.direct(c);
                    JvmPeaks peaks = JvmPeaks.start();
                    int before = openmrs.encounters().size();
                    sampled.clear();
                    sampledTotalMs.clear();
                    ThreadCpu cpu = ThreadCpu.start(FormsSagaBenchmark::threadGroup);
                    LoadResult r = new LoadDriver(warmup, measure).run(c, call);
                    Map<String, Double> cpuMs = cpu.millis();
                    int written = openmrs.encounters().size() - before;
                    openmrs.wireMock().resetRequests();
                    hq.wireMock().resetRequests();
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("latency ms", latency);
                    row.put("concurrency", c);
                    row.put("forms/s", String.format("%.1f", r.throughput()));
                    row.put("p50 ms", String.format("%.1f", r.p50Ms()));
                    row.put("p99 ms", String.format("%.1f", r.p99Ms()));
                    row.put("max ms", String.format("%.1f", r.maxMs()));
                    row.put("errors", r.errors());
                    row.put("measured forms", r.requests());
                    row.put("encounters written (incl. warm-up)", written);
                    // issue 7: forms/s >= 90% of concurrency / (steps x latency), steps = upstream calls per form
                    int steps;
                    double upstreamMs;
                    double ownMs;
                    synchronized (sampled) {
                        steps = sampled.stream().mapToInt(EnvelopeTimes::calls).max().orElse(STEPS);
                        upstreamMs = median(sampled.stream().map(EnvelopeTimes::upstreamMs).toList());
                        List<Double> own = new ArrayList<>();
                        for (int i = 0; i < sampled.size(); i++) own.add(sampledTotalMs.get(i) - sampled.get(i).upstreamMs());
                        ownMs = median(own);
                    }
                    double ideal = latency > 0 ? c * 1000.0 / (steps * latency) : Double.NaN;
                    row.put("steps", steps);
                    row.put("ideal forms/s", latency > 0 ? String.format("%.1f", ideal) : "n/a");
                    row.put("of ideal", latency > 0 ? String.format("%.0f%%", 100 * r.throughput() / ideal) : "n/a");
                    row.put("p50 in upstream calls ms", String.format("%.1f", upstreamMs));
                    row.put("p50 rest ms", String.format("%.1f", ownMs));
                    // CPU per form (warm-up included, so divided by every form written): what a code change should be
                    // compared on while other people's load moves the wall-clock figures
                    for (String group : List.of("mediator", "simulators", "process")) {
                        row.put("CPU ms/form " + group, String.format("%.1f", cpuMs.getOrDefault(group, 0.0) / Math.max(1, written)));
                    }
                    direct.addTo(row, d, r);
                    peaks.addTo(row);
                    table.add(row);
                    if (latency > 0) ratios.put(c, r.throughput() / ideal);
                }
                table.chart(direct.chart("forms saga"));
                table.note(direct.note("registration form"));
                table.note(JvmPeaks.NOTE);
            } finally {
                app.close();
            }
            if (!ratios.isEmpty()) table.target(String.join("; ", ratios.entrySet().stream()
                            .map(e -> String.format("%.0f%% at c=%d", 100 * e.getValue(), e.getKey())).toList()),
                    "saga throughput >= 90% of concurrency / (steps x latency)", ratios.values().stream().allMatch(v -> v >= 0.9));
        } finally {
            TempFolders.deleteQuietly(dir);
        }
        table.note("Closed loop: each of N threads posts a new registration form and waits for the answer; " + warmup.toSeconds()
                + " s warm-up, " + measure.toSeconds() + " s measured per row. Only 201 (everything written) counts as success.");
        table.note("Per form: " + STEPS + " upstream round trips at " + latency + " ms each (so >= " + STEPS * latency
                + " ms per form at concurrency 1), ledger claim + saga journal (one row per step) + id map in H2. "
                + "steps = orchestrations per answer; ideal = concurrency / (steps x latency); 'p50 in upstream calls' = sum of the "
                + "orchestrations' request-to-response times (the simulator's latency plus its and the client's work per call), "
                + "'p50 rest' = the round trip minus that (request parsing, ledger, saga journal, id map, envelope, HTTP hop), "
                + "both from every 8th answer.");
        table.note("The mediator, both simulators (WireMock, 64 threads each) and the load driver share this machine's cores; "
                + "load average (1/5/15 min) before: " + loadBefore + ", after: " + loadAverage() + " (other builds running count here).");
    }

    /** Mediator threads (Pekko, workers, OkHttp, pool), the simulators' Jetty threads, and the rest (driver, JIT, GC). */
    static String threadGroup(String name) {
        if (name.startsWith("mediator-") || name.startsWith("OkHttp") || name.startsWith("state-")) return "mediator";
        if (name.startsWith("qtp")) return "simulators";
        return "other";
    }

    private static double median(List<Double> values) {
        if (values.isEmpty()) return Double.NaN;
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    public static ObjectNode form(JsonNode template, long n) {
        ObjectNode f = template.deepCopy();
        String id = UUID.randomUUID().toString();
        f.put("id", id);
        ((ObjectNode) f.get("metadata")).put("instanceID", id);
        ObjectNode q = (ObjectNode) f.get("form");
        ((ObjectNode) q.get("meta")).put("instanceID", id);
        q.put("national_id", "BENCH-" + n + "-" + id.substring(0, 8));
        q.put("last_name", "Bench" + n + id.substring(0, 4));
        ObjectNode c = (ObjectNode) q.get("case");
        c.put("@case_id", UUID.randomUUID().toString());
        return f;
    }

    public static JsonNode demoForm() throws IOException {
        // the demo form the mediator's tests and ./suite up use (read from the source tree: bench runs from the repo root)
        Path p = Path.of("mediators/commcare-openmrs/src/test/resources/demo/registration-form.json");
        try (InputStream in = Files.newInputStream(p)) {
            return Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }
}
