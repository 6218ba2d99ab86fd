package org.chis.bench.referral;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.chis.bench.TempFolders;
import org.chis.bench.BenchTable;
import org.chis.bench.Benchmark;
import org.chis.bench.DirectComparison;
import org.chis.bench.JvmPeaks;
import org.chis.bench.LoadDriver;
import org.chis.bench.LoadResult;
import org.chis.bench.UpstreamReplay;
import org.chis.common.config.Settings;
import org.chis.common.openhim.MediatorApp;
import org.chis.mediator.referral.Main;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.fhir.FhirSimulator;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code referral-roundtrip}: one round trip = a CommCare referral in (OpenMRS patient + encounter with obs, FHIR
 * Patient + ServiceRequest + Task, each resource through HAPI's R4 validator), the facility opening it
 * (in-progress) and closing it (completed), each status pushed back to the CHW's CommCare case. Closed loop at
 * concurrency 1/8/32 with every simulator answering after a fixed latency (default 5 ms). Also the start-up cost
 * of the validator (time to the first referral after start). The mediator runs in this JVM, state in an H2 file.
 * Properties: {@code bench.referral.concurrency} ("1,16,64,200"), {@code bench.referral.latency} (5),
 * {@code bench.referral.warmupSeconds} (5), {@code bench.referral.seconds} (15).
 */
public final class ReferralRoundTripBenchmark implements Benchmark {
    @Override
    public String name() { return "referral-roundtrip"; }

    @Override
    public String description() {
        return "referral: CommCare referral -> OpenMRS + FHIR Task (validated) -> in-progress -> completed -> case updated, round trips/s";
    }

    @Override
    public void run(BenchTable table) throws Exception {
        List<Integer> concurrency = Arrays.stream(System.getProperty("bench.referral.concurrency", "1,16,64,200").split(","))
                .map(String::trim).map(Integer::parseInt).toList();
        int latency = Integer.getInteger("bench.referral.latency", 5);
        Duration warmup = Duration.ofSeconds(Integer.getInteger("bench.referral.warmupSeconds", 5));
        Duration measure = Duration.ofSeconds(Integer.getInteger("bench.referral.seconds", 15));
        Path dir = Files.createTempDirectory("referral-bench");
        try (ReferralUpstreams upstreams = new ReferralUpstreams(latency)) {
            OpenMrsSimulator openmrs = upstreams.openmrs;
            FhirSimulator fhir = upstreams.fhir;
            CommCareSimulator hq = upstreams.hq;
            long t0 = System.nanoTime();
            MediatorApp app = Main.start(settings(dir, upstreams));
            long startedMs = (System.nanoTime() - t0) / 1_000_000;
            try {
                HttpClient http = LoadDriver.httpClient();
                LoadResult last = null;
                LoadResult lastDirect = null;
                String base = "http://127.0.0.1:" + app.port();
                // a pool of CHW cases to refer from (registering one per round trip would measure the simulator)
                List<String> cases = new ArrayList<>();
                for (int i = 0; i < 64; i++) cases.add(hq.registerCase("client", "Bench " + i, null, CommCareSimulator.props()));
                AtomicLong seq = new AtomicLong();
                LoadDriver.Call call = () -> {
                    long n = seq.incrementAndGet();
                    return roundTrip(http, base, UUID.randomUUID().toString(), cases.get((int) (n % cases.size())), "BENCH-" + n);
                };
                long t1 = System.nanoTime();
                int first = call.send();
                long firstMs = (System.nanoTime() - t1) / 1_000_000;
                table.note("Start-up: Main.start " + startedMs + " ms; first round trip (waits for the R4 validator to load) " + firstMs
                        + " ms (status " + first + ").");
                // direct: the upstream calls of one (warm) round trip, replayed by the driver with a new referral and client id each time
                UpstreamReplay.clear(openmrs.wireMock(), fhir.wireMock(), hq.wireMock());
                String probeId = UUID.randomUUID().toString();
                String probeClient = "BENCH-PROBE-" + probeId.substring(0, 8);
                int probe = roundTrip(http, base, probeId, cases.get(0), probeClient);
                Thread.sleep(500); // anything the mediator sends after answering belongs to the round trip too
                UpstreamReplay replay = UpstreamReplay.recorded(openmrs.wireMock(), fhir.wireMock(), hq.wireMock());
                if (probe != 200) throw new IllegalStateException("the round trip to replay failed: " + probe);
                DirectComparison direct = new DirectComparison("round trips/s", new LoadDriver(warmup, measure), http, replay, n -> Map.of(
                        probeId, UUID.randomUUID().toString(), probeClient, "BENCH-DIRECT-" + n + "-" + UUID.randomUUID().toString().substring(0, 8)));
                for (int c : concurrency) {
                    LoadResult d = direct.direct(c);
                    int tasksBefore = fhir.count("Task");
                    JvmPeaks peaks = JvmPeaks.start();
                    LoadResult r = new LoadDriver(warmup, measure).run(c, call);
                    long completed = fhir.resources("Task").stream().filter(t -> "completed".equals(t.path("status").asText())).count();
                    upstreams.resetRequests();
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("latency ms", latency);
                    row.put("concurrency", c);
                    row.put("round trips/s", String.format("%.1f", r.throughput()));
                    row.put("p50 ms", String.format("%.1f", r.p50Ms()));
                    row.put("p99 ms", String.format("%.1f", r.p99Ms()));
                    row.put("max ms", String.format("%.1f", r.maxMs()));
                    row.put("errors", r.errors());
                    row.put("measured round trips", r.requests());
                    row.put("Tasks created (incl. warm-up)", fhir.count("Task") - tasksBefore);
                    row.put("Tasks completed (all rows)", completed);
                    direct.addTo(row, d, r);
                    peaks.addTo(row);
                    table.add(row);
                    last = r;
                    lastDirect = d;
                }
                table.chart(direct.chart("referral round trip"));
                table.note(direct.note("round trip (referral, in-progress, completed)"));
                if (last != null) table.headline(String.format(Locale.ROOT, "c=%d: %.1f round trips/s, p99 %.0f ms, direct p99 %.0f ms (adds %+.0f ms, ratio %.2f)",
                        last.concurrency(), last.throughput(), last.p99Ms(), lastDirect.p99Ms(), last.p99Ms() - lastDirect.p99Ms(), last.p99Ms() / lastDirect.p99Ms()));
            } finally {
                app.close();
            }
        } finally {
            TempFolders.deleteQuietly(dir);
        }
        table.note("Closed loop: each of N threads runs referral -> in-progress -> completed and waits for each answer; " + warmup.toSeconds()
                + " s warm-up, " + measure.toSeconds() + " s measured per row. Only 201/200/200 counts as success.");
        table.note("Per round trip: 16 upstream calls at " + latency + " ms each (OpenMRS: find patient, create patient, look for and create "
                + "the encounter; FHIR: 3 conditional creates, 2 x read + update Task; CommCare: 2 status forms), 5 R4 validations (3 at intake, 1 per status change), "
                + "ledger claim + saga journal + referral/transition rows in H2.");
        table.note(JvmPeaks.NOTE);
        table.note("The mediator, the three simulators (WireMock) and the load driver share this machine's cores (2, shared with other work); "
                + "1-minute load average at the end: " + String.format("%.1f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()) + ".");
    }

    /** Referral in, in-progress, completed: 201, 200, 200 or the first other status (>= 400). */
    public static int roundTrip(HttpClient http, String base, String id, String caseId, String clientId) throws Exception {
        return roundTrip(http, base, id, caseId, clientId, "Fever for 3 days");
    }

    /** The same with this referral reason. */
    public static int roundTrip(HttpClient http, String base, String id, String caseId, String clientId, String reason) throws Exception {
        int s1 = send(http, "POST", base + "/referrals", form(id, caseId, clientId, reason));
        if (s1 != 201) return Math.max(400, s1);
        int s2 = send(http, "PUT", base + "/referrals/" + id + "/status", "{\"status\": \"in-progress\"}");
        if (s2 != 200) return Math.max(400, s2);
        int s3 = send(http, "PUT", base + "/referrals/" + id + "/status", "{\"status\": \"completed\"}");
        return s3 == 200 ? 200 : Math.max(400, s3);
    }

    private static Settings settings(Path dir, ReferralUpstreams upstreams) {
        return Settings.of(upstreams.mediatorSettings("jdbc:h2:file:" + dir.resolve("state") + ";AUTO_SERVER=FALSE"),
                Path.of("mediator-configs/referral"));
    }

    static String form(String id, String caseId, String clientId) { return form(id, caseId, clientId, "Fever for 3 days"); }

    /** A CommCare referral form (JSON as HQ forwards it) with this reason (no quotes or backslashes in it). */
    static String form(String id, String caseId, String clientId, String reason) {
        return """
                {"id": "%s", "form": {"@xmlns": "http://openrosa.org/formdesigner/chw-referral", "client_id": "%s",
                 "client_given_name": "Aminata", "client_family_name": "Kamara", "client_sex": "f", "client_dob": "2019-04-02",
                 "referral_reason": "%s", "danger_signs": "convulsions high_fever", "referral_urgency": "urgent",
                 "referral_facility": "ngelehun-chc", "referral_type": "Sick Child", "case": {"@case_id": "%s"},
                 "meta": {"instanceID": "%s", "timeEnd": "%s", "username": "chw1"}}}
                """.formatted(id, clientId, reason, caseId, id, Instant.now().minusSeconds(5).truncatedTo(ChronoUnit.MILLIS));
    }

    private static int send(HttpClient http, String method, String url, String body) throws Exception {
        // the first referral builds HAPI's R4 validator (seconds on a quiet machine, minutes on a loaded one)
        HttpRequest r = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(15))
                .header("Content-Type", "application/json; charset=utf-8")
                .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
        return http.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
