package org.chis.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Rows of figures (column -> value), printed as a Markdown table and saved under bench/results/. */
public final class BenchTable {
    private final List<Map<String, Object>> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final List<Summary.Line> targets = new ArrayList<>();
    private Chart chart;

    /** Adds a row; use the same column names across rows of a scenario (scenario, concurrency, msg/s, p50 ms ...). */
    public synchronized void add(Map<String, Object> row) {
        rows.add(new LinkedHashMap<>(row));
        System.out.println("  " + row);
    }

    public synchronized List<Map<String, Object>> rows() { return List.copyOf(rows); }

    /** A line printed under the table (targets met or missed, how it was measured). */
    public synchronized void note(String line) {
        notes.add(line);
        System.out.println("  note: " + line);
    }

    /**
     * The scenario's headline figure against its issue-7 target, for {@code bench/results/SUMMARY.md}; {@code met}
     * null when this run did not measure what the target asks (e.g. no c=200 cell).
     */
    public synchronized void target(String headline, String target, Boolean met) {
        targets.add(new Summary.Line(headline, target, met));
        note(target + ": " + headline + " -> " + Summary.Line.status(met));
    }

    /** The headline figure of a scenario that issue 7 gives no target, for its line in SUMMARY.md. */
    public synchronized void headline(String headline) {
        targets.add(new Summary.Line(headline, "none in issue 7", "no target"));
    }

    public synchronized List<Summary.Line> targets() { return List.copyOf(targets); }

    /** A chart saved as {@code bench/results/<name>.png} beside the table. */
    public synchronized void chart(Chart c) { this.chart = c; }

    public synchronized Chart chart() { return chart; }

    public synchronized String markdown() {
        Set<String> columns = new LinkedHashSet<>();
        rows.forEach(r -> columns.addAll(r.keySet()));
        StringBuilder md = new StringBuilder();
        md.append('|').append(String.join(" | ", columns)).append("|\n|");
        columns.forEach(c -> md.append(" --- |"));
        md.append('\n');
        for (Map<String, Object> r : rows) {
            md.append('|');
            for (String c : columns) md.append(' ').append(format(r.get(c))).append(" |");
            md.append('\n');
        }
        if (!notes.isEmpty()) md.append('\n');
        for (String n : notes) md.append("- ").append(n).append('\n');
        return md.toString();
    }

    public void save(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, markdown(), StandardCharsets.UTF_8);
    }

    private static String format(Object v) {
        if (v == null) return "";
        if (v instanceof Double d) return d >= 100 ? String.format("%.0f", d) : String.format("%.2f", d);
        if (v instanceof Float f) return format(f.doubleValue());
        return v.toString();
    }
}
