package org.chis.bench.dhis2;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.chis.bench.BenchTable;
import org.chis.bench.Benchmark;
import org.chis.bench.Chart;
import org.chis.bench.ChildJvm;
import org.chis.bench.ProcessMemory;
import org.chis.common.json.Json;
import org.chis.common.systems.dhis2.Dhis2Uid;
import org.chis.simulators.dhis2.Dhis2Metadata;
import org.chis.simulators.dhis2.Dhis2Simulator;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@code dhis2-1m-values}: one million aggregate values pulled from a report source (streamed, generated on the
 * fly: 100,000 rows of 10 values) and pushed by the dhis2 mediator to the DHIS2 simulator in chunks. The mediator
 * runs in its own JVM with -Xmx256m (override: -Dbench.dhis2.heap=...): that it finishes proves memory stays flat;
 * its peak heap is measured. Values/s is end to end (source -> mediator -> DHIS2 simulator, which checks every value).
 */
public final class Dhis2MillionValuesBenchmark implements Benchmark {
    static final int COLUMNS = 10;
    static final int LOCATIONS = 50;

    @Override
    public String name() { return "dhis2-1m-values"; }

    @Override
    public String description() { return "dhis2 mediator: values/s and peak heap pushing 1M aggregate values (mediator JVM -Xmx256m)"; }

    @Override
    public void run(BenchTable table) throws Exception {
        int values = Integer.getInteger("bench.dhis2.values", 1_000_000);
        String heap = System.getProperty("bench.dhis2.heap", "256m");
        List<Integer> chunkSizes = Arrays.stream(System.getProperty("bench.dhis2.chunks", "5000,20000").split(","))
                .map(String::trim).map(Integer::parseInt).toList();
        int rows = values / COLUMNS;

        Path config = Files.createTempDirectory("dhis2-bench");
        Files.copy(Path.of("mediator-configs/dhis2/mediator-registration-info.json"), config.resolve("mediator-registration-info.json"));
        Files.createDirectories(config.resolve("datasets"));
        try (Dhis2Simulator dhis2 = new Dhis2Simulator(0, 0)) {
            dhis2.keepValues(false).today(LocalDate.of(2024, 6, 1));
            ObjectNode map = Json.object().put("report", "bench-1m").put("dataSet", "benchDataS1").put("periodType", "monthly");
            ObjectNode ous = map.putObject("orgUnits");
            for (int i = 0; i < LOCATIONS; i++) {
                String uid = Dhis2Uid.derive("orgUnit", "bench-" + i);
                dhis2.metadata().orgUnit(uid, "Bench facility " + i, "ImspTQPwCqd");
                ous.put("facility-" + i, uid);
            }
            ObjectNode cols = map.putObject("dataValues");
            String[] des = new String[COLUMNS];
            for (int c = 0; c < COLUMNS; c++) {
                des[c] = Dhis2Uid.derive("dataElement", "bench-" + c);
                dhis2.metadata().dataElement(des[c], Dhis2Metadata.ValueType.INTEGER_ZERO_OR_POSITIVE);
                cols.putObject("v" + c).put("dataElement", des[c]);
            }
            dhis2.metadata().dataSet("benchDataS1", des);
            Files.writeString(config.resolve("datasets/bench-1m.json"), Json.write(map));

            HttpServer source = reportSource(rows);
            String sourceUrl = "http://127.0.0.1:" + source.getAddress().getPort() + "/report.json";
            HttpClient http = HttpClient.newHttpClient();
            try {
                for (int chunk : chunkSizes) {
                    Path stats = config.resolve("stats-" + chunk);
                    try (ChildJvm child = ChildJvm.launch(heap, Dhis2MediatorProcess.class, Path.of(System.getProperty("bench.results", "bench/results"), "dhis2-mediator-" + chunk + ".log"),
                            List.of(config.toString(), dhis2.baseUrl(), sourceUrl, String.valueOf(chunk), stats.toString()))) {
                        int port = child.awaitReady(Duration.ofSeconds(60));
                        long received0 = dhis2.valuesReceived();
                        long requests0 = dhis2.dataValueSetRequests();
                        long t0 = System.nanoTime();
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/dhis2/aggregate/pull"))
                                .timeout(Duration.ofMinutes(20)).GET().build(), HttpResponse.BodyHandlers.ofString());
                        double seconds = (System.nanoTime() - t0) / 1e9;
                        JsonNode envelope = Json.parse(r.body());
                        JsonNode body = Json.parse(envelope.path("response").path("body").asText("{}"));
                        Thread.sleep(300); // one more stats write after the run
                        String[] heapFigures = Files.readString(stats).trim().split(" ");
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("values", values);
                        row.put("chunk size", chunk);
                        row.put("mediator -Xmx", heap);
                        row.put("status", envelope.path("status").asText() + " (" + r.statusCode() + ")");
                        row.put("imported", body.path("importCount").path("imported").asLong());
                        row.put("DHIS2 requests", dhis2.dataValueSetRequests() - requests0);
                        row.put("DHIS2 received", dhis2.valuesReceived() - received0);
                        row.put("seconds", String.format(Locale.ROOT, "%.1f", seconds));
                        row.put("values/s", Math.round(values / seconds));
                        row.put("peak heap MB (sampled used)", heapFigures.length > 1 ? heapFigures[1] : "?");
                        row.put("peak heap MB (sum of pool peaks)", heapFigures[0]);
                        row.put("peak RSS MB", String.format(Locale.ROOT, "%.0f", ProcessMemory.peakRssMb(child.pid())));
                        table.add(row);
                    }
                }
            } finally {
                source.stop(0);
            }
        }
        chartAndTarget(table, values, heap);
        table.note("Report source: " + rows + " rows x " + COLUMNS + " values, generated while streamed (never held); "
                + "pulled by GET /dhis2/aggregate/pull, the path for big reports (POST bodies are capped by mediator.maxBodyBytes).");
        table.note("The mediator holds one chunk at a time; each chunk's orchestration keeps 2 KB of its request body "
                + "(dhis2.recordedChunkChars) and DHIS2's import summary, about 4 KB per chunk in the transaction.");
        table.note("peak heap (sampled used) includes garbage not yet collected; -Xmx is the hard bound the run had to fit in.");
        try {
            table.note("load average when done (other work on the machine skews the rates): "
                    + Files.readString(Path.of("/proc/loadavg")).trim());
        } catch (IOException notLinux) {
            // no figure
        }
        table.note("The DHIS2 simulator (in the benchmark JVM) parses and checks every value like DHIS2 (metadata, period, value type) "
                + "but keeps no values; same 2 cores as the mediator.");
    }

    /** Values/s and the mediator JVM's memory per chunk size; the target: all values imported within the heap limit. */
    private static void chartAndTarget(BenchTable table, int values, String heap) {
        List<String> chunks = new ArrayList<>();
        List<Double> rate = new ArrayList<>();
        List<Double> used = new ArrayList<>();
        List<Double> pools = new ArrayList<>();
        List<Double> rss = new ArrayList<>();
        boolean allImported = true;
        double worstHeap = 0;
        for (Map<String, Object> r : table.rows()) {
            chunks.add("chunk " + r.get("chunk size"));
            rate.add(((Number) r.get("values/s")).doubleValue());
            used.add(mb(r.get("peak heap MB (sampled used)")));
            pools.add(mb(r.get("peak heap MB (sum of pool peaks)")));
            rss.add(mb(r.get("peak RSS MB")));
            allImported &= ((Number) r.get("imported")).longValue() == values && r.get("status").toString().startsWith("Successful");
            worstHeap = Math.max(worstHeap, Math.max(used.get(used.size() - 1), pools.get(pools.size() - 1)));
        }
        table.chart(new Chart("dhis2: " + values + " aggregate values pushed", "chunk size (values per DHIS2 request)", "values/s", chunks)
                .series("values/s (source -> mediator -> DHIS2)", rate)
                .beside(new Chart("mediator JVM memory (-Xmx" + heap + ")", "chunk size (values per DHIS2 request)", "MB", chunks)
                        .series("peak heap, sampled used", used).series("peak heap, sum of pool peaks", pools).series("peak RSS", rss)));
        double best = rate.stream().mapToDouble(Double::doubleValue).max().orElse(0);
        table.target(String.format(Locale.ROOT, "%d values %s with -Xmx%s, peak heap %.0f MB (worst chunk size), up to %.0f values/s",
                        values, allImported ? "all imported" : "NOT all imported", heap, worstHeap, best),
                "1M DHIS2 values with heap <= 256 MB", values < 1_000_000 ? null : allImported && worstHeap <= 256);
    }

    private static double mb(Object v) {
        try {
            return Double.parseDouble(v.toString().replace(',', '.'));
        } catch (NumberFormatException unknown) {
            return 0; // "?" when the stats file had no figure
        }
    }

    /** Serves the report, writing rows as they are generated. */
    static HttpServer reportSource(int rows) throws Exception {
        // the JDK server leaves Nagle on: its small chunk writes then wait for delayed ACKs (~40 ms each), which
        // measured the network stack, not the mediator
        System.setProperty("sun.net.httpserver.nodelay", "true");
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/report.json", ex -> {
            ex.getResponseHeaders().add("Content-Type", "application/json; charset=utf-8");
            ex.sendResponseHeaders(200, 0); // chunked
            try (OutputStream out = new BufferedOutputStream(ex.getResponseBody(), 64 * 1024); JsonGenerator g = Json.MAPPER.getFactory().createGenerator(out)) {
                g.writeStartObject();
                g.writeStringField("report", "bench-1m");
                g.writeStringField("period", "202405");
                g.writeArrayFieldStart("rows");
                for (int i = 0; i < rows; i++) {
                    g.writeStartObject();
                    g.writeStringField("location", "facility-" + (i % LOCATIONS));
                    for (int c = 0; c < COLUMNS; c++) g.writeNumberField("v" + c, (i * 7 + c) % 1000);
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
            }
        });
        server.start();
        return server;
    }
}
