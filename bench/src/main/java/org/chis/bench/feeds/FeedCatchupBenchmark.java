package org.chis.bench.feeds;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.chis.bench.TempFolders;
import org.chis.bench.BenchTable;
import org.chis.bench.Benchmark;
import org.chis.bench.ChildJvm;
import org.chis.bench.ProcessMemory;
import org.chis.common.json.Json;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import java.io.IOException;
import java.util.ArrayList;

/**
 * {@code feed-catchup}: how fast the commcare-openmrs mediator catches up on an OpenMRS backlog. The OpenMRS
 * simulator holds N/2 new patients and one encounter each (N feed entries, pages of 5); the mediator starts with no
 * marker and is polled over HTTP (as core's polling channel would) until a poll says nothing more is waiting. Every
 * entry costs the real round trips: feed page, GET patient/encounter, case lookup, one form submission to CommCare.
 * Both simulators answer after a fixed latency (default 5 ms). The mediator runs in a child JVM
 * ({@link FeedMediatorProcess}), so its peak RSS and heap are its own.
 * Properties: {@code bench.feed.entries} (2000; try 100000), {@code bench.feed.latencies} ("5,0"),
 * {@code bench.feed.batch} (100), {@code bench.feed.parallelism} ("16"; "16,1" compares with one entry at a time),
 * {@code bench.feed.heap} (mediator -Xmx, "256m"), {@code bench.feed.warmup} (entries caught up before measuring, 2000).
 */
public final class FeedCatchupBenchmark implements Benchmark {
    @Override
    public String name() { return "feed-catchup"; }

    @Override
    public String description() { return "commcare-openmrs: OpenMRS feed entries/s caught up into CommCare, simulators at 5 ms latency"; }

    @Override
    public void run(BenchTable table) throws Exception {
        int entries = Integer.getInteger("bench.feed.entries", 2000);
        int batch = Integer.getInteger("bench.feed.batch", 100);
        List<Integer> latencies = Arrays.stream(System.getProperty("bench.feed.latencies", "5,0").split(","))
                .map(String::trim).map(Integer::parseInt).toList();
        List<Integer> parallelism = Arrays.stream(System.getProperty("bench.feed.parallelism", "16").split(","))
                .map(String::trim).map(Integer::parseInt).toList();
        String heap = System.getProperty("bench.feed.heap", "256m");
        int warmup = Integer.getInteger("bench.feed.warmup", 2000);
        int patients = Math.max(1, entries / 2);
        for (int latency : latencies) {
            for (int lanes : parallelism) table.add(once(patients, batch, latency, lanes, heap, warmup));
        }
        FeedCatchupResults.chartAndTarget(table);
        table.note("Warm-up: the mediator first catches up a backlog of " + warmup + " entries (simulators at 0 ms, not measured: JIT compilation of a fresh JVM "
                + "took most of the CPU of short runs); then N/2 patients + N/2 encounters are published and measured from the first poll; each poll is one bounded batch of "
                + batch + " entries (feeds.batchSize), polled back to back over HTTP until \"more\": false.");
        table.note("Per entry: GET patient or encounter, case lookup (id map, then GET case by external_id), one form submission; "
                + "plus one feed page per 5 entries. Entries of different patients are applied in parallel lanes (feeds.parallelism), "
                + "a patient's entries one after the other in feed order; resources and feed pages (feeds.readAheadPages, 8) are read ahead.");
        table.note("State store: H2 file in a temp folder (ledger record per entry; marker over the prefix of done entries).");
        table.note("The mediator runs in a child JVM (-Xmx" + heap + "): peak RSS is its VmHWM, peak heap the sum of its heap pools' peaks. "
                + "CPU ms/entry: CPU time (user + system) of the mediator JVM, and of this JVM (both simulators and the poller), during the measured catch-up.");
    }

    /** Patients {@code from..from+count-1}, each registered and then seen once (a vitals encounter). */
    private static void publish(OpenMrsSimulator openmrs, int from, int count) {
        OffsetDateTime when = OffsetDateTime.now(ZoneOffset.UTC).minusHours(1);
        for (int i = from; i < from + count; i++) {
            String uuid = openmrs.registerPatient("Bench" + i, "Patient", i % 2 == 0 ? "F" : "M", LocalDate.of(1990, 1, 1).plusDays(i % 3000), "B-" + i);
            openmrs.recordEncounter(uuid, OpenMrsSimulator.ENCOUNTER_TYPE_VITALS, when, Map.of(OpenMrsSimulator.CONCEPT_WEIGHT, 50 + i % 40));
        }
    }

    private Map<String, Object> once(int patients, int batch, int latency, int lanes, String heap, int warmup) throws Exception {
        Path dir = Files.createTempDirectory("feed-bench");
        try (OpenMrsSimulator openmrs = new OpenMrsSimulator(0); CommCareSimulator hq = new CommCareSimulator(0)) {
            hq.keepFormXml(false);
            int warmPatients = warmup / 2;
            publish(openmrs, 0, warmPatients);
            openmrs.wireMock().resetRequests();

            Path stats = dir.resolve("heap.txt");
            List<String> args = new ArrayList<>(List.of(Path.of("mediator-configs/commcare-openmrs").toAbsolutePath().toString(), stats.toString(),
                    "db.url=jdbc:h2:file:" + dir.resolve("state") + ";AUTO_SERVER=FALSE",
                    "openmrs.url=" + openmrs.baseUrl(), "openmrs.user=" + OpenMrsSimulator.USER, "openmrs.password=" + OpenMrsSimulator.PASSWORD,
                    "commcare.url=" + hq.baseUrl(), "commcare.domain=" + CommCareSimulator.DOMAIN, "commcare.user=" + CommCareSimulator.USER,
                    "commcare.apiKey=" + CommCareSimulator.API_KEY, "feeds.batchSize=" + batch, "feeds.parallelism=" + lanes));
            ChildJvm child = ChildJvm.launch(heap, FeedMediatorProcess.class, dir.resolve("mediator.log"), args);
            int port = child.awaitReady(Duration.ofSeconds(60));
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpRequest poll = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/openmrs/feeds/poll"))
                    .timeout(Duration.ofMinutes(10)).POST(HttpRequest.BodyPublishers.noBody()).build();
            // a mediator that has run a while is JIT-compiled: catch up a small backlog first, not measured
            if (warmPatients > 0) {
                while (true) {
                    JsonNode envelope = Json.parse(http.send(poll, HttpResponse.BodyHandlers.ofString()).body());
                    if (envelope.path("status").asText().equals("Failed")) throw new IllegalStateException("warm-up poll failed: " + envelope + "\n" + child.tail());
                    openmrs.wireMock().resetRequests();
                    hq.wireMock().resetRequests();
                    if (!Json.parse(envelope.path("response").path("body").asText("{}")).path("more").asBoolean()) break;
                }
            }
            openmrs.latency(latency);
            hq.latency(latency);
            int formsBefore = hq.submittedForms().size();
            int feedBefore = openmrs.feedSize("patient") + openmrs.feedSize("encounter");
            publish(openmrs, warmPatients, patients);
            int total = openmrs.feedSize("patient") + openmrs.feedSize("encounter") - feedBefore;
            int polls = 0;
            long slowestPoll = 0;
            double seconds;
            double rss;
            double peakHeap;
            double cpuSeconds;
            double simCpuSeconds;
            double cpuBefore = cpuSeconds(child.pid());
            double simCpuBefore = cpuSeconds(ProcessHandle.current().pid());
            long start = System.nanoTime();
            try {
                while (true) {
                    long t0 = System.nanoTime();
                    HttpResponse<String> r = http.send(poll, HttpResponse.BodyHandlers.ofString());
                    slowestPoll = Math.max(slowestPoll, System.nanoTime() - t0);
                    polls++;
                    JsonNode envelope = Json.parse(r.body());
                    String status = envelope.path("status").asText();
                    JsonNode body = Json.parse(envelope.path("response").path("body").asText("{}"));
                    if (status.equals("Failed")) throw new IllegalStateException("poll " + polls + " failed: " + body + "\n" + child.tail());
                    // the journals would hold every request of a 100k run
                    openmrs.wireMock().resetRequests();
                    hq.wireMock().resetRequests();
                    if (!body.path("more").asBoolean()) break;
                }
                seconds = (System.nanoTime() - start) / 1e9;
                rss = ProcessMemory.peakRssMb(child.pid());
                cpuSeconds = cpuSeconds(child.pid()) - cpuBefore;
                simCpuSeconds = cpuSeconds(ProcessHandle.current().pid()) - simCpuBefore;
                String[] h = Files.exists(stats) ? Files.readString(stats).trim().split(" ") : new String[] {"-1", "-1"};
                peakHeap = Double.parseDouble(h[0]);
            } finally {
                child.close();
            }
            int cases = hq.cases().size();
            if (cases != warmPatients + patients) throw new IllegalStateException("expected " + (warmPatients + patients) + " cases, CommCare holds " + cases);
            cases -= warmPatients;
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("latency ms", latency);
            row.put("parallelism", lanes);
            row.put("entries", total);
            row.put("batch", batch);
            row.put("polls", polls);
            row.put("seconds", String.format("%.1f", seconds));
            row.put("entries/s", String.format("%.1f", total / seconds));
            row.put("ms/entry", String.format("%.2f", seconds * 1000 / total));
            row.put("slowest poll s", String.format("%.2f", slowestPoll / 1e9));
            row.put("cases", cases);
            row.put("forms", hq.submittedForms().size() - formsBefore);
            row.put("mediator CPU ms/entry", String.format("%.2f", cpuSeconds * 1000 / total));
            row.put("simulators CPU ms/entry", String.format("%.2f", simCpuSeconds * 1000 / total));
            row.put("peak RSS MB", String.format("%.0f", rss));
            row.put("peak heap MB", String.format("%.0f", peakHeap));
            return row;
        } finally {
            TempFolders.deleteQuietly(dir);
        }
    }

    /** CPU time (user + system) the process used so far, from /proc/<pid>/stat; -1 when unknown. */
    private static double cpuSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime in clock ticks (USER_HZ 100)
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
