package org.chis.bench.sms;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.chis.bench.BenchTable;
import org.chis.bench.Benchmark;
import org.chis.bench.Chart;
import org.chis.bench.JvmPeaks;
import org.chis.bench.LoadDriver;
import org.chis.bench.LoadResult;
import org.chis.common.config.Settings;
import org.chis.common.openhim.MediatorApp;
import org.chis.mediator.smscodecard.Main;
import org.chis.mediator.smscodecard.card.CheckDigit;
import org.chis.mediator.smscodecard.card.CodeCards;
import org.chis.mediator.smscodecard.parse.CommandWords;
import org.chis.mediator.smscodecard.parse.MessageParser;
import org.chis.mediator.smscodecard.reply.ReplyTexts;
import org.chis.mediator.smscodecard.parse.Parsed;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.chis.simulators.rapidpro.RapidProSimulator;
import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * sms-parse: (1) messages parsed per second by the code-card parser alone (the shipped cards, a realistic mix of
 * valid and faulty messages), 1 and 2 threads; (2) the webhook's latency end to end, in-process, against the
 * OpenMRS and RapidPro simulators and a WireMock OpenSRP: accepted reports (patient lookup, encounter, event,
 * warehouse, ledger) and rejected ones (bad format: parse and log only).
 */
public final class SmsParseBenchmark implements Benchmark {
    private static final String[] MIX = {
        "ANC 1000Y ANC1 LMP 01022026 WT 60", "anc 1000y anc2 lmp 01022026", "ANC,1000Y,ANC3,LMP=01022026",
        "ANC;1000Y;ANC4;LMP01022026;WT62", "ANC#1000Y#ANC5#LMP#01.02.2026", "KLINIKI 1002U ANC1 TMH 01022026 UZ 58",
        "CPN 1002U ANC4 DDR 01022026 PDS 61", "FEVER 1001W T 39 POS REF Y", "HOMA 1002U JOTO 40 CHANYA RUFAA NDIYO",
        "BIRTH 1002U 10062026 F 3200", "NAIS 1000Y DN 01062026 SEX M WT 3100", "ANC 1001W ANC4 LMP 01022026 NOTE mild headache, given paracetamol",
        "ANX 1000Y ANC1 LMP 01022026", "ANC 1000X ANC1 LMP 01022026", "ANC 1000Y ANC1 LMP 010226", "ANC 1000Y ANC1",
        "Hi how are you", "", "ＡＮＣ １００３Ｒ ＡＮＣ１ ＬＭＰ ０１０２２０２６", "UNDO 36XBTL"};

    @Override
    public String name() { return "sms-parse"; }

    @Override
    public String description() { return "SMS code-card parsing (messages/s) and POST /sms/inbound latency (p50/p99)"; }

    @Override
    public void run(BenchTable table) throws Exception {
        Path config = Path.of(System.getProperty("sms.configDir", "mediator-configs/sms-codecard")).toAbsolutePath();
        parse(table, CodeCards.load(config.resolve("cards")), ReplyTexts.load(config.resolve("replies")).commandWords());
        webhook(table, config);
        table.chart(chart(table.rows()));
        Map<String, Object> one = table.rows().get(0);
        double perSecond = ((Number) one.get("messages/s (wall)")).doubleValue();
        table.target(String.format(Locale.ROOT, "parse, 1 thread: %.0f msg/s wall (%s per CPU-second)", perSecond, one.get("messages per CPU-second")),
                "SMS parse >= 100k msg/s", perSecond >= 100_000);
        table.note("Parse: the shipped cards, a mix of " + MIX.length + " messages (2/3 valid, the rest typos, bad ids, ambiguous dates,"
                + " missing fields, chat, empty, full-width). Webhook: mediator in the benchmark JVM, simulators on loopback,"
                + " H2 in memory; 'accepted' = a new report each call (patient lookup, OpenMRS encounter, OpenSRP event, warehouse + ledger)."
                + " Load average at the end: " + String.format("%.1f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage())
                + " (other builds share the cores: wall figures are inflated by it; messages per CPU-second is not).");
        table.note(JvmPeaks.NOTE + " Webhook rows only.");
    }

    /** Parse rate per thread count, and the webhook's p50/p99 per case, side by side. */
    private static Chart chart(List<Map<String, Object>> rows) {
        List<String> parseCases = new ArrayList<>();
        List<Double> wall = new ArrayList<>();
        List<Double> perCpu = new ArrayList<>();
        List<String> webhookCases = new ArrayList<>();
        List<Double> p50 = new ArrayList<>();
        List<Double> p99 = new ArrayList<>();
        for (Map<String, Object> r : rows) {
            String scenario = (String) r.get("scenario");
            if (scenario.startsWith("parse")) {
                parseCases.add(scenario.replace("parse only, ", ""));
                wall.add(number(r.get("messages/s (wall)")));
                perCpu.add(number(r.get("messages per CPU-second")));
            } else {
                webhookCases.add(scenario.replace("webhook, ", ""));
                p50.add(number(r.get("p50 ms")));
                p99.add(number(r.get("p99 ms")));
            }
        }
        return new Chart("code-card parser alone", "threads", "messages/s", parseCases).series("wall", wall).series("per CPU-second", perCpu)
                .beside(new Chart("POST /sms/inbound (mediator in-process)", "case", "latency ms", webhookCases).series("p50", p50).series("p99", p99));
    }

    private static double number(Object v) { return v instanceof Number n ? n.doubleValue() : Double.parseDouble(v.toString().replace(',', '.')); }

    private static void parse(BenchTable table, CodeCards cards, CommandWords words) throws InterruptedException {
        MessageParser parser = new MessageParser(cards, words);
        LocalDate today = LocalDate.of(2026, 6, 15);
        var mx = ManagementFactory.getThreadMXBean();
        // JIT first: the 1-thread row must not pay for the compilation the 2-thread row then enjoys
        for (int i = 0; i < 3_000_000; i++) parser.parse(MIX[i % MIX.length], today);
        for (int threads : new int[] {1, 2}) {
            AtomicLong parsed = new AtomicLong();
            AtomicLong valid = new AtomicLong();
            AtomicLong cpuNanos = new AtomicLong();
            long warmupEnd = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            long end = warmupEnd + Duration.ofSeconds(5).toNanos();
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Thread th = new Thread(() -> {
                    long n = 0;
                    long ok = 0;
                    int i = 0;
                    long cpuFrom = -1;
                    long now;
                    while ((now = System.nanoTime()) < end) {
                        if (now >= warmupEnd && cpuFrom < 0) cpuFrom = mx.getCurrentThreadCpuTime();
                        for (int k = 0; k < 1000; k++) {
                            Parsed p = parser.parse(MIX[i++ % MIX.length], today);
                            if (cpuFrom >= 0) {
                                n++;
                                if (p.problem() == null) ok++;
                            }
                        }
                    }
                    cpuNanos.addAndGet(mx.getCurrentThreadCpuTime() - cpuFrom);
                    parsed.addAndGet(n);
                    valid.addAndGet(ok);
                });
                ts.add(th);
                th.start();
            }
            for (Thread th : ts) th.join();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("scenario", "parse only, " + threads + " thread" + (threads == 1 ? "" : "s"));
            row.put("messages/s (wall)", Math.round(parsed.get() / 5.0));
            row.put("messages per CPU-second", Math.round(parsed.get() / (cpuNanos.get() / 1e9)));
            row.put("valid share / errors", String.format("%.0f%%", 100.0 * valid.get() / Math.max(1, parsed.get())));
            row.put("p50 ms", "");
            row.put("p99 ms", "");
            table.add(row);
        }
    }

    private static void webhook(BenchTable table, Path config) throws Exception {
        int patients = Integer.getInteger("bench.smsPatients", 1500);
        try (OpenMrsSimulator openmrs = new OpenMrsSimulator(0); RapidProSimulator rapidpro = new RapidProSimulator(0)) {
            WireMockServer opensrp = new WireMockServer(WireMockConfiguration.options().dynamicPort().bindAddress("127.0.0.1").containerThreads(32));
            opensrp.start();
            opensrp.stubFor(post(urlPathEqualTo("/opensrp/rest/event/add")).willReturn(aResponse().withStatus(201)));
            openmrs.addMetadata("encountertype", "2549af50-75c8-4aeb-87ca-4bb2cef6c69a", "ANC");
            openmrs.addConcept("1425AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Antenatal visit number", "Numeric");
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < patients; i++) {
                String body = String.valueOf(10000 + i);
                String id = body + CheckDigit.LUHN_MOD30.compute(body);
                openmrs.registerPatient("Mama", "P" + i, "F", LocalDate.of(1997, 1, 1), id);
                ids.add(id);
            }
            Map<String, String> s = new HashMap<>();
            s.put("mediator.port", "0");
            s.put("mediator.bind", "127.0.0.1");
            s.put("mediator.inbound.username", "");
            s.put("mediator.inbound.password", "");
            s.put("core.register", "false");
            s.put("db.url", "jdbc:h2:mem:sms-bench-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
            s.put("openmrs.url", openmrs.baseUrl());
            s.put("openmrs.user", OpenMrsSimulator.USER);
            s.put("openmrs.password", OpenMrsSimulator.PASSWORD);
            s.put("rapidpro.url", rapidpro.baseUrl());
            s.put("rapidpro.token", rapidpro.token());
            s.put("opensrp.url", "http://127.0.0.1:" + opensrp.port() + "/opensrp");
            s.put("sms.clock.fixed", "2026-06-15T09:00:00Z");
            s.put("sms.timezone", "UTC");
            MediatorApp app = Main.start(Settings.of(s, config));
            try {
                String url = "http://127.0.0.1:" + app.port() + "/sms/inbound";
                HttpClient client = LoadDriver.httpClient();
                LoadDriver driver = new LoadDriver(Duration.ofSeconds(Long.getLong("bench.warmupSec", 5)), Duration.ofSeconds(Long.getLong("bench.measureSec", 10)));
                AtomicLong seq = new AtomicLong();
                long capacity = patients * 8L;
                for (int c : new int[] {1, 8}) {
                    JvmPeaks peaks = JvmPeaks.start();
                    LoadResult r = driver.run(c, () -> {
                        long n = seq.getAndIncrement();
                        if (n >= capacity) throw new IllegalStateException("out of fresh reports: raise -Dbench.smsPatients");
                        String text = "ANC " + ids.get((int) (n % patients)) + " ANC" + (1 + n / patients) + " LMP 01022026 WT 60";
                        return send(client, url, text);
                    });
                    row(table, "webhook, accepted report, " + c + " caller" + (c == 1 ? "" : "s"), r, peaks);
                }
                JvmPeaks peaks = JvmPeaks.start();
                LoadResult bad = driver.run(1, () -> send(client, url, "ANC 1000X ANC1 LMP 01022026"));
                row(table, "webhook, rejected (bad id), 1 caller", bad, peaks);
            } finally {
                app.close();
                opensrp.stop();
            }
        }
    }

    private static int send(HttpClient client, String url, String text) throws Exception {
        String body = RapidProSimulator.flowWebhook(UUID.randomUUID().toString(), "c-1", "John", "tel:+255712000002", "eng", text).toString();
        HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) return r.statusCode();
        // a 200 that is not the expected kind is an error for the benchmark
        boolean expected = text.contains("1000X") ? r.body().contains("bad_format") : r.body().contains("\\\"kind\\\":\\\"ok\\\"");
        return expected ? 200 : 599;
    }

    private static void row(BenchTable table, String scenario, LoadResult r, JvmPeaks peaks) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("scenario", scenario);
        row.put("messages/s (wall)", Math.round(r.throughput()));
        row.put("messages per CPU-second", "");
        row.put("valid share / errors", r.errors() + " errors");
        row.put("p50 ms", String.format("%.1f", r.p50Ms()));
        row.put("p99 ms", String.format("%.1f", r.p99Ms()));
        peaks.addTo(row);
        table.add(row);
    }
}
