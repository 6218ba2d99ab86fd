package org.chis.bench;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.lang.management.ManagementFactory;
import java.util.Locale;

/** {@code bench/run [name ...]}: runs the named benchmarks (all when none), prints and saves a Markdown table each. */
public final class BenchMain {
    private BenchMain() {}

    public static void main(String[] args) throws Exception {
        List<Benchmark> all = new ArrayList<>();
        ServiceLoader.load(Benchmark.class).forEach(all::add);
        if (args.length == 1 && (args[0].equals("--list") || args[0].equals("-h"))) {
            all.forEach(b -> System.out.printf("%-24s %s%n", b.name(), b.description()));
            return;
        }
        List<String> wanted = List.of(args);
        Path results = Path.of(System.getProperty("bench.results", "bench/results"));
        int ran = 0;
        Map<String, List<Summary.Line>> targets = new LinkedHashMap<>();
        for (Benchmark b : all) {
            if (!wanted.isEmpty() && !wanted.contains(b.name())) continue;
            System.out.println("== " + b.name() + ": " + b.description());
            BenchTable table = new BenchTable();
            b.run(table);
            System.out.println(table.markdown());
            table.note("machine: " + Runtime.getRuntime().availableProcessors() + " cores, Java " + System.getProperty("java.version")
                    + ", " + LocalDate.now());
            table.save(results.resolve(b.name() + ".md"));
            if (table.chart() != null) table.chart().savePng(results.resolve(b.name() + ".png"));
            if (!table.targets().isEmpty()) targets.put(b.name(), table.targets());
            ran++;
        }
        if (ran == 0) {
            System.err.println("no benchmark named " + wanted + "; known: " + all.stream().map(Benchmark::name).toList());
            System.exit(2);
        }
        String run = LocalDate.now() + ", " + Runtime.getRuntime().availableProcessors() + " cores, load " + loadAverage();
        Summary.update(results.resolve("SUMMARY.md"), targets, all.stream().map(Benchmark::name).toList(), run);
        System.out.println("results in " + results.toAbsolutePath() + " (" + LocalDate.now() + ")");
        System.exit(0); // benchmarks leave servers/threads behind; the figures are printed
    }

    /** The 1-minute load average when the run ended: the cores are shared, so it says how far to trust the figures. */
    private static String loadAverage() {
        return String.format(Locale.ROOT, "%.1f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
}
