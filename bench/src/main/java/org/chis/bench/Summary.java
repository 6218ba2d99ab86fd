package org.chis.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code bench/results/SUMMARY.md}: one line per scenario target (headline figure vs issue-7 target, met/missed).
 * A run rewrites the lines of the scenarios it ran and keeps the others, so partial runs don't erase figures; for
 * the same reason a target a scenario reports as "not measured" keeps that target's last measured line.
 */
public final class Summary {
    private static final String HEADER = "| scenario | headline | target (issue 7) | status | run |";

    /** One target of one scenario; status MET, MISSED, "not measured" (this run did not measure it) or "no target". */
    public record Line(String headline, String target, String status) {
        public Line(String headline, String target, Boolean met) {
            this(headline, target, status(met));
        }

        public static String status(Boolean met) {
            return met == null ? "not measured" : met ? "MET" : "MISSED";
        }
    }

    private Summary() {}

    /**
     * Replaces the lines of {@code ran} (scenario -> its lines) in {@code file}, keeping other scenarios' lines; rows
     * are ordered by {@code order} (the known scenarios), unknown ones last.
     */
    public static void update(Path file, Map<String, List<Line>> ran, List<String> order, String run) throws IOException {
        Map<String, List<String>> rows = new LinkedHashMap<>();
        for (String name : order) rows.put(name, new ArrayList<>());
        if (Files.exists(file)) {
            for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!l.startsWith("| ") || l.equals(HEADER) || l.startsWith("| --- ")) continue;
                String scenario = l.substring(2, l.indexOf(" |", 2)).trim();
                rows.computeIfAbsent(scenario, k -> new ArrayList<>()).add(l);
            }
        }
        ran.forEach((scenario, lines) -> {
            List<String> before = rows.getOrDefault(scenario, List.of());
            List<String> mine = new ArrayList<>();
            for (Line line : lines) {
                String prefix = "| " + scenario + " | ";
                String target = " | " + cell(line.target()) + " | ";
                // a target this run did not measure keeps its last measured line (e.g. a run of some units of a scenario)
                String kept = line.status().equals(Line.status(null))
                        ? before.stream().filter(l -> l.contains(target) && !l.contains(target + Line.status(null) + " |")).findFirst().orElse(null)
                        : null;
                mine.add(kept != null ? kept : prefix + cell(line.headline()) + target + line.status() + " | " + cell(run) + " |");
            }
            rows.put(scenario, mine);
        });
        StringBuilder md = new StringBuilder("# Benchmarks against the issue-7 targets\n\n")
                .append("Written by `bench/run` after each run: the lines of the scenarios that ran are replaced, the others kept. ")
                .append("Details, method and notes: `<scenario>.md` and `<scenario>.png` beside this file.\n\n")
                .append(HEADER).append("\n| --- | --- | --- | --- | --- |\n");
        rows.values().forEach(ls -> ls.forEach(l -> md.append(l).append('\n')));
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, md.toString(), StandardCharsets.UTF_8);
    }

    private static String cell(String s) { return s.replace("|", "/").replace("\n", " "); }
}
