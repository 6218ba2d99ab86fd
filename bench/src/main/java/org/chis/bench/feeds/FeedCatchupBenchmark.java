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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.chis.bench.BenchTable;
import org.chis.bench.Benchmark;
import org.chis.common.config.Settings;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorApp;
import org.chis.mediator.commcareopenmrs.Main;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;

/**
 * {@code feed-catchup}: how fast the commcare-openmrs mediator catches up on an OpenMRS backlog. The OpenMRS
 * simulator holds N/2 new patients and one encounter each (N feed entries, pages of 5); the mediator starts with no
 * marker and is polled over HTTP (as core's polling channel would) until a poll says nothing more is waiting. Every
 * entry costs the real round trips: feed page, GET patient/encounter, case lookup, one form submission to CommCare.
 * Both simulators answer after a fixed latency (default 5 ms). The mediator runs in this JVM.
 * Properties: {@code bench.feed.entries} (2000; try 100000), {@code bench.feed.latencies} ("5,0"),
 * {@code bench.feed.batch} (100).
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
        int patients = Math.max(1, entries / 2);
        for (int latency : latencies) {
            table.add(once(patients, batch, latency));
        }
        table.note("N/2 patients + N/2 encounters published before the first poll; each poll is one bounded batch of "
                + batch + " entries (feeds.batchSize), polled back to back over HTTP until \"more\": false.");
        table.note("Per entry: GET patient or encounter, case lookup (id map, then GET case by external_id), one form submission; "
                + "plus one feed page per 5 entries. Sequential by design: entries are applied in feed order.");
        table.note("State store: H2 file in a temp folder (marker + ledger + id map committed per entry).");
    }

    private Map<String, Object> once(int patients, int batch, int latency) throws Exception {
        Path dir = Files.createTempDirectory("feed-bench");
        try (OpenMrsSimulator openmrs = new OpenMrsSimulator(0); CommCareSimulator hq = new CommCareSimulator(0)) {
            hq.keepFormXml(false);
            OffsetDateTime when = OffsetDateTime.now(ZoneOffset.UTC).minusHours(1);
            for (int i = 0; i < patients; i++) {
                String uuid = openmrs.registerPatient("Bench" + i, "Patient", i % 2 == 0 ? "F" : "M", LocalDate.of(1990, 1, 1).plusDays(i % 3000), "B-" + i);
                openmrs.recordEncounter(uuid, OpenMrsSimulator.ENCOUNTER_TYPE_VITALS, when, Map.of(OpenMrsSimulator.CONCEPT_WEIGHT, 50 + i % 40));
            }
            int total = openmrs.feedSize("patient") + openmrs.feedSize("encounter");
            openmrs.wireMock().resetRequests();
            openmrs.latency(latency);
            hq.latency(latency);

            Map<String, String> s = new HashMap<>();
            s.put("mediator.port", "0");
            s.put("mediator.host", "127.0.0.1");
            s.put("mediator.bind", "127.0.0.1");
            s.put("mediator.inbound.username", "");
            s.put("core.register", "false");
            s.put("db.url", "jdbc:h2:file:" + dir.resolve("state") + ";AUTO_SERVER=FALSE");
            s.put("openmrs.url", openmrs.baseUrl());
            s.put("openmrs.user", OpenMrsSimulator.USER);
            s.put("openmrs.password", OpenMrsSimulator.PASSWORD);
            s.put("commcare.url", hq.baseUrl());
            s.put("commcare.domain", CommCareSimulator.DOMAIN);
            s.put("commcare.user", CommCareSimulator.USER);
            s.put("commcare.apiKey", CommCareSimulator.API_KEY);
            s.put("feeds.batchSize", String.valueOf(batch));
            s.put("mediator.requestTimeoutMs", "600000");
            MediatorApp app = Main.start(MediatorApp.create("commcare-openmrs", Settings.of(s, Path.of("mediator-configs/commcare-openmrs"))));
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpRequest poll = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/openmrs/feeds/poll"))
                    .timeout(Duration.ofMinutes(10)).POST(HttpRequest.BodyPublishers.noBody()).build();
            int polls = 0;
            long slowestPoll = 0;
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
                    if (status.equals("Failed")) throw new IllegalStateException("poll " + polls + " failed: " + body);
                    // the journals would hold every request of a 100k run
                    openmrs.wireMock().resetRequests();
                    hq.wireMock().resetRequests();
                    if (!body.path("more").asBoolean()) break;
                }
            } finally {
                app.close();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            int cases = hq.cases().size();
            if (cases != patients) throw new IllegalStateException("expected " + patients + " cases, CommCare holds " + cases);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("latency ms", latency);
            row.put("entries", total);
            row.put("batch", batch);
            row.put("polls", polls);
            row.put("seconds", String.format("%.1f", seconds));
            row.put("entries/s", String.format("%.1f", total / seconds));
            row.put("ms/entry", String.format("%.2f", seconds * 1000 / total));
            row.put("slowest poll s", String.format("%.2f", slowestPoll / 1e9));
            row.put("cases", cases);
            row.put("forms", hq.submittedForms().size());
            return row;
        } finally {
            deleteQuietly(dir);
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException ignored) {
            // a temp folder left behind is harmless
        }
    }
}
