package org.chis.bench.overhead;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.chis.bench.BenchTable;
import org.chis.bench.Benchmark;
import org.chis.bench.Chart;
import org.chis.bench.ChildJvm;
import org.chis.bench.CpuPinning;
import org.chis.bench.LoadDriver;
import org.chis.bench.LoadResult;
import org.chis.bench.ProcessMemory;
import org.chis.bench.Upstream;
import org.chis.common.json.Json;
import org.chis.openhim.local.OpenHimCore;
import java.util.Arrays;

/**
 * The common runtime's cost: the same POST sent straight to a WireMock upstream and through the pass-through
 * mediator (own JVM, 256 MB heap), at 0 and 5 ms upstream latency and 1/16/64/200 concurrent callers, in the
 * same run. Then the mediator's peak RSS/heap, and its start-to-registered time against a real OpenHIM core.
 */
public final class MediatorOverheadBenchmark implements Benchmark {
    static final int[] CONCURRENCY = ints("bench.concurrency", "1,16,64,200");
    static final int[] LATENCY_MS = ints("bench.latencies", "0,5");
    private static final String INBOUND_USER = "openhim-core";
    private static final String INBOUND_PASSWORD = "bench-inbound-secret";
    private static final String BODY = "{\"form\":\"anc-visit\",\"patient\":\"10001-A\",\"visitDate\":\"2026-11-02\","
            + "\"observations\":[{\"code\":\"5089AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"value\":61.5},{\"code\":\"5090AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"value\":162}]}";

    private static int[] ints(String property, String fallback) {
        return Arrays.stream(System.getProperty(property, fallback).split(",")).mapToInt(v -> Integer.parseInt(v.trim())).toArray();
    }

    @Override
    public String name() { return "mediator-overhead"; }

    @Override
    public String description() {
        return "latency the common runtime adds (pass-through mediator vs direct upstream), RSS/heap, start-to-registered";
    }

    @Override
    public void run(BenchTable table) throws Exception {
        Duration warmup = Duration.ofSeconds(Long.getLong("bench.warmupSec", 3));
        Duration measure = Duration.ofSeconds(Long.getLong("bench.measureSec", 6));
        CpuPinning.pinThisJvm();
        LoadDriver driver = new LoadDriver(warmup, measure);
        HttpClient client = LoadDriver.httpClient();
        Path logs = Files.createTempDirectory("bench-overhead");
        List<String> categories = new ArrayList<>();
        for (int c : CONCURRENCY) categories.add("c=" + c);
        Chart chart = new Chart("p99 latency: direct vs through the mediator", "concurrent callers", "p99 ms", categories);
        Map<Integer, Double> addedP99At200 = new LinkedHashMap<>();
        Map<Integer, Double> ratioP99At200 = new LinkedHashMap<>();
        double rssPeak = 0;
        double heapPeak = 0;
        for (int latency : LATENCY_MS) {
            List<Double> directP99 = new ArrayList<>();
            List<Double> mediatedP99 = new ArrayList<>();
            try (Upstream upstream = Upstream.start(latency);
                 ChildJvm mediator = ChildJvm.launch("256m", PassThroughMediator.class, logs.resolve("mediator-" + latency + "ms.log"),
                         List.of("upstream.url=" + upstream.echoUrl(), "mediator.inbound.username=" + INBOUND_USER,
                                 "mediator.inbound.password=" + INBOUND_PASSWORD))) {
                int port = mediator.awaitReady(Duration.ofSeconds(60));
                String passUrl = "http://127.0.0.1:" + port + "/pass";
                // a fresh JVM: let the JIT compile the request path before the first measured cell (c=1)
                new LoadDriver(Duration.ofSeconds(Long.getLong("bench.jitWarmupSec", 8)), Duration.ofMillis(200))
                        .run(16, LoadDriver.post(client, passUrl, BODY, INBOUND_USER + ":" + INBOUND_PASSWORD));
                for (int c : CONCURRENCY) {
                    LoadResult direct = driver.run(c, LoadDriver.post(client, upstream.echoUrl(), BODY, null));
                    LoadResult mediated = driver.run(c, LoadDriver.post(client, passUrl, BODY, INBOUND_USER + ":" + INBOUND_PASSWORD));
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("upstream latency ms", latency);
                    row.put("concurrency", c);
                    row.put("direct req/s", direct.throughput());
                    row.put("mediator req/s", mediated.throughput());
                    row.put("direct p50 ms", direct.p50Ms());
                    row.put("direct p99 ms", direct.p99Ms());
                    row.put("mediator p50 ms", mediated.p50Ms());
                    row.put("mediator p99 ms", mediated.p99Ms());
                    row.put("added p50 ms", mediated.p50Ms() - direct.p50Ms());
                    row.put("added p99 ms", mediated.p99Ms() - direct.p99Ms());
                    row.put("p99 ratio", mediated.p99Ms() / direct.p99Ms());
                    row.put("errors", direct.errors() + mediated.errors());
                    table.add(row);
                    directP99.add(direct.p99Ms());
                    mediatedP99.add(mediated.p99Ms());
                    if (c == 200) addedP99At200.put(latency, mediated.p99Ms() - direct.p99Ms());
                    if (c == 200) ratioP99At200.put(latency, mediated.p99Ms() / direct.p99Ms());
                }
                JsonNode health = health(client, port);
                rssPeak = Math.max(rssPeak, ProcessMemory.peakRssMb(mediator.pid()));
                heapPeak = Math.max(heapPeak, health.path("heapPeakMb").asDouble());
            }
            chart.series("direct " + latency + " ms", directP99).series("mediator " + latency + " ms", mediatedP99);
        }
        table.chart(chart);
        table.target(addedP99At200.isEmpty() ? "no c=200 cell in this run" : String.join("; ", addedP99At200.entrySet().stream()
                        .map(e -> String.format("%+.1f ms p99 (ratio %.2f) at c=200, %d ms upstream", e.getValue(), ratioP99At200.get(e.getKey()), e.getKey())).toList()),
                "mediator adds <= 2 ms p99 at 200 concurrent", addedP99At200.isEmpty() ? null : addedP99At200.values().stream().allMatch(a -> a <= 2.0));
        table.note(String.format("mediator JVM (-Xmx256m, mediator-configs/java-options) during all load: peak RSS %.0f MB, peak heap (sum of pool peaks) %.0f MB", rssPeak, heapPeak));
        if (Integer.getInteger("bench.registrationRuns", 3) > 0) startToRegistered(table, client, logs);
        else table.target("not measured (bench.registrationRuns=0)", "start-to-registered <= 2 s", null);
        table.note("load: closed loop, " + warmup.toSeconds() + " s warm-up + " + measure.toSeconds() + " s measured per cell, JDK HttpClient (HTTP/1.1 keep-alive); "
                + CpuPinning.describe() + " (-Dbench.mediatorCpus=1 -Dbench.driverCpus=0 separates them)");
    }

    private static void startToRegistered(BenchTable table, HttpClient client, Path logs) throws Exception {
        int runs = Integer.getInteger("bench.registrationRuns", 3);
        try (OpenHimCore core = OpenHimCore.start(OpenHimCore.Options.temp());
             Upstream upstream = Upstream.start(0)) {
            List<Long> wall = new ArrayList<>();
            List<Long> fromJvm = new ArrayList<>();
            List<Long> fromApp = new ArrayList<>();
            List<String> args = new ArrayList<>();
            core.settingsFor().forEach((k, v) -> args.add(k + "=" + v));
            args.add("core.register=true");
            args.add("upstream.url=" + upstream.echoUrl());
            SuiteJvmOptions jvm = SuiteJvmOptions.forRegistration(PassThroughMediator.class, logs, args);
            for (int i = 0; i < runs; i++) {
                try (ChildJvm m = jvm.launch(PassThroughMediator.class, logs.resolve("register-" + i + ".log"), args)) {
                    int port = m.awaitReady(Duration.ofSeconds(60));
                    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                    JsonNode h = health(client, port);
                    while (!h.path("registered").asBoolean() && System.nanoTime() < deadline) {
                        Thread.sleep(10);
                        h = health(client, port);
                    }
                    wall.add((System.nanoTime() - m.launchedNanos()) / 1_000_000);
                    fromJvm.add(h.path("registeredAfterJvmStartMs").asLong());
                    fromApp.add(h.path("registeredAfterAppStartMs").asLong());
                }
            }
            long best = fromJvm.stream().mapToLong(Long::longValue).max().orElse(-1);
            table.note("start-to-registered against a real OpenHIM core 4.0.5 (" + runs + " runs, JVM options " + jvm + "): JVM start -> registered " + fromJvm
                    + " ms; registration call alone " + fromApp + " ms; launch -> /health says registered (polled) " + wall
                    + " ms");
            table.target("worst JVM start -> registered " + best + " ms (" + runs + " runs, real OpenHIM core 4.0.5)", "start-to-registered <= 2 s",
                    best >= 0 ? best <= 2000 : null);
        }
    }

    private static JsonNode health(HttpClient client, int port) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        return Json.parse(r.body());
    }
}
