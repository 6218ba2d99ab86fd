package org.chis.bench.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The fault suite's summary: one row per fault (tried, survived, what was seen). Each test class prints the table
 * so far when it ends, so the last print is the whole run; with {@code -Dfaults.report=FILE} or {@code FAULTS_REPORT=FILE} it is also saved
 * (bench/faults writes bench/results/faults.md).
 */
final class FaultReport {
    private record Row(String fault, int tried, int survived, String detail) {}

    private static final List<Row> rows = new ArrayList<>();

    private FaultReport() {}

    static synchronized void record(String fault, int tried, int survived, String detail) {
        rows.add(new Row(fault, tried, survived, detail.replace("|", "/").replace("\n", " ")));
    }

    static synchronized String markdown() {
        StringBuilder md = new StringBuilder("| fault | tried | survived | result | what was seen |\n| --- | --- | --- | --- | --- |\n");
        int tried = 0;
        int survived = 0;
        for (Row r : rows) {
            md.append("| ").append(r.fault).append(" | ").append(r.tried).append(" | ").append(r.survived).append(" | ")
                    .append(r.tried == r.survived ? "survived" : "FAILED").append(" | ").append(r.detail).append(" |\n");
            tried += r.tried;
            survived += r.survived;
        }
        md.append("| **total** | ").append(tried).append(" | ").append(survived).append(" | | |\n");
        return md.toString();
    }

    static synchronized void print() {
        String md = markdown();
        System.out.println("\n== fault suite so far\n" + md);
        String file = System.getProperty("faults.report", System.getenv().getOrDefault("FAULTS_REPORT", ""));
        if (!file.isBlank()) {
            try {
                Path p = Path.of(file);
                Files.createDirectories(p.toAbsolutePath().getParent());
                Files.writeString(p, md, StandardCharsets.UTF_8);
            } catch (IOException e) {
                System.err.println("cannot write " + file + ": " + e.getMessage());
            }
        }
    }
}
