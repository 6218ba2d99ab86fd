package org.chis.bench.referral;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.chis.bench.TempFolders;
import org.chis.bench.BenchTable;
import org.chis.bench.Benchmark;
import org.chis.bench.ChildJvm;
import org.chis.bench.LoadDriver;
import org.chis.bench.cpu.MediatorProcess;
import org.chis.simulators.commcare.CommCareSimulator;

/**
 * {@code referral-burst}: a referral mediator just started (child JVM, the shipped JVM options) takes referral round
 * trips from N clients at once from its first second, each referral's reason typed with a double space, as phones
 * often send it: its resources are then of a shape the R4 validator has not passed before, so every one is validated
 * (what odd real-world data costs). This is where a fresh mediator at c=8 once ran its 512 MB heap out. Per heap: round
 * trips answered 201/200/200 and the others by status, time, full collections and their pauses and the largest heap
 * before one (from the child's GC log), and whether the mediator's log shows an OutOfMemoryError.
 * Properties: {@code bench.referralBurst.n} (400), {@code bench.referralBurst.concurrency} (8),
 * {@code bench.referralBurst.heaps} ("512m,384m"; ./suite and docker give 512m), {@code bench.referralBurst.latency} (5).
 */
public final class ReferralBurstBenchmark implements Benchmark {
    /** Serial GC's line for a pause: "GC(12) Pause Full (Allocation Failure) 339M->301M(494M) 812.345ms". */
    private static final Pattern PAUSE = Pattern.compile("Pause (Young|Full) \\((.+)\\) (\\d+)M->(\\d+)M\\((\\d+)M\\) ([\\d.]+)ms");

    @Override
    public String name() { return "referral-burst"; }

    @Override
    public String description() {
        return "referral: a fresh mediator taking 8 referrals of new validation shapes at once: failures, full GCs, heap";
    }

    @Override
    public void run(BenchTable table) throws Exception {
        int n = Integer.getInteger("bench.referralBurst.n", 400);
        int concurrency = Integer.getInteger("bench.referralBurst.concurrency", 8);
        int latency = Integer.getInteger("bench.referralBurst.latency", 5);
        List<String> heaps = Arrays.stream(System.getProperty("bench.referralBurst.heaps", "512m,384m").split(",")).map(String::trim).toList();
        List<String> headline = new ArrayList<>();
        for (String heap : heaps) {
            Map<String, Object> row = burst(heap, n, concurrency, latency);
            table.add(row);
            headline.add(String.format(Locale.ROOT, "%s: %s of %d ok, %s full GCs (%s s)", heap, row.get("ok"), n, row.get("full GCs"), row.get("full GC pause s")));
        }
        table.headline("fresh mediator, c=" + concurrency + ", every referral a new shape: " + String.join("; ", headline));
        table.note("Each row: a new mediator (child JVM, -Xmx as given, " + ChildJvm.MEDIATOR_JVM_OPTIONS + ", state in a new H2 file) sent "
                + n + " round trips (referral, in-progress, completed) by " + concurrency + " clients from the moment it answers; every referral's "
                + "reason has a double space, so its ServiceRequest and Task are new validation shapes and the R4 validator runs for each. "
                + "Simulators answer after " + latency + " ms. GC figures from -Xlog:gc of the child, counted from the first referral on.");
    }

    private static Map<String, Object> burst(String heap, int n, int concurrency, int latency) throws Exception {
        Path dir = Files.createTempDirectory("referral-burst");
        try (ReferralUpstreams upstreams = new ReferralUpstreams(latency)) {
            CommCareSimulator hq = upstreams.hq;
            List<String> args = new ArrayList<>(List.of("referral", Path.of("mediator-configs", "referral").toAbsolutePath().toString()));
            args.addAll(MediatorProcess.args(upstreams.mediatorSettings("jdbc:h2:file:" + dir.resolve("state") + ";AUTO_SERVER=FALSE")));
            Path gcLog = dir.resolve("gc.log");
            List<String> options = new ArrayList<>(ChildJvm.mediatorJvmOptions());
            options.add("-Xlog:gc:file=" + gcLog);
            try (ChildJvm child = ChildJvm.launch(heap, options, MediatorProcess.class, dir.resolve("mediator.log"), args)) {
                int port = child.awaitReady(Duration.ofMinutes(5));
                HttpClient http = LoadDriver.httpClient();
                String base = "http://127.0.0.1:" + port;
                List<String> cases = new ArrayList<>();
                for (int i = 0; i < 32; i++) cases.add(hq.registerCase("client", "Burst " + i, null, CommCareSimulator.props()));
                int pausesBefore = pauses(gcLog).size();
                AtomicInteger next = new AtomicInteger();
                Map<String, Integer> failed = new TreeMap<>();
                ExecutorService clients = Executors.newFixedThreadPool(concurrency);
                long t0 = System.nanoTime();
                try {
                    List<Future<?>> done = new ArrayList<>();
                    for (int c = 0; c < concurrency; c++) done.add(clients.submit(() -> {
                        for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                            String outcome;
                            try {
                                int status = ReferralRoundTripBenchmark.roundTrip(http, base, UUID.randomUUID().toString(), cases.get(i % cases.size()),
                                        "BURST-" + i, "Fever  for " + (i + 2) + " days");
                                outcome = status == 200 ? null : "HTTP " + status;
                            } catch (IOException e) {
                                outcome = "no answer";
                            }
                            if (outcome != null) synchronized (failed) { failed.merge(outcome, 1, Integer::sum); }
                        }
                        return null;
                    }));
                    for (Future<?> f : done) f.get();
                } finally {
                    clients.shutdownNow();
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                List<Pause> during = pauses(gcLog);
                during = during.subList(Math.min(pausesBefore, during.size()), during.size());
                List<Pause> full = during.stream().filter(Pause::full).toList();
                int failures = failed.values().stream().mapToInt(Integer::intValue).sum();
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("heap", heap);
                row.put("concurrency", concurrency);
                row.put("round trips", n);
                row.put("ok", n - failures);
                row.put("failed", failed.isEmpty() ? "0" : failed.toString());
                row.put("seconds", String.format(Locale.ROOT, "%.1f", seconds));
                row.put("round trips/s", String.format(Locale.ROOT, "%.1f", n / seconds));
                row.put("full GCs", full.size());
                row.put("full GC pause s", String.format(Locale.ROOT, "%.1f", full.stream().mapToDouble(Pause::ms).sum() / 1000));
                row.put("young GCs", during.size() - full.size());
                row.put("largest heap before a GC MB", during.stream().mapToInt(Pause::beforeMb).max().orElse(0));
                row.put("heap after last GC MB", during.isEmpty() ? "-" : during.get(during.size() - 1).afterMb());
                row.put("heap capacity MB", during.stream().mapToInt(Pause::capacityMb).max().orElse(0));
                row.put("OutOfMemoryError", Files.readString(child.log(), StandardCharsets.UTF_8).contains("OutOfMemoryError") ? "yes" : "no");
                row.put("mediator alive", child.alive() ? "yes" : "no");
                return row;
            }
        } finally {
            TempFolders.deleteQuietly(dir);
        }
    }

    record Pause(boolean full, int beforeMb, int afterMb, int capacityMb, double ms) {}

    /** The GC pauses logged so far, in order. */
    static List<Pause> pauses(Path gcLog) throws IOException {
        List<Pause> pauses = new ArrayList<>();
        if (!Files.exists(gcLog)) return pauses;
        for (String line : Files.readAllLines(gcLog, StandardCharsets.UTF_8)) {
            Matcher m = PAUSE.matcher(line);
            if (m.find()) {
                pauses.add(new Pause(m.group(1).equals("Full"), Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4)),
                        Integer.parseInt(m.group(5)), Double.parseDouble(m.group(6))));
            }
        }
        return pauses;
    }
}
