package org.chis.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SummaryTest {
    @TempDir
    Path dir;

    @Test
    void aRunReplacesTheLinesOfItsScenariosAndKeepsTheOthers() throws Exception {
        Path file = dir.resolve("SUMMARY.md");
        List<String> order = List.of("a", "b", "c");
        Summary.update(file, Map.of("b", List.of(new Summary.Line("5 msg/s", ">= 4 msg/s", true)),
                "a", List.of(new Summary.Line("+9 ms", "<= 2 ms", false), new Summary.Line("3 s", "<= 2 s", (Boolean) null))), order, "day 1");
        Summary.update(file, Map.of("b", List.of(new Summary.Line("3 msg/s", ">= 4 msg/s", false))), order, "day 2");

        List<String> rows = Files.readAllLines(file).stream().filter(l -> l.startsWith("| ")).toList();
        assertThat(rows).containsExactly(
                "| scenario | headline | target (issue 7) | status | run |",
                "| --- | --- | --- | --- | --- |",
                "| a | +9 ms | <= 2 ms | MISSED | day 1 |",
                "| a | 3 s | <= 2 s | not measured | day 1 |",
                "| b | 3 msg/s | >= 4 msg/s | MISSED | day 2 |");
    }

    @Test
    void aTargetNotMeasuredInThisRunKeepsItsLastMeasuredLine() throws Exception {
        Path file = dir.resolve("SUMMARY.md");
        List<String> order = List.of("cpu");
        Summary.update(file, Map.of("cpu", List.of(new Summary.Line("forms 9 ms", "form <= 3 ms", false),
                new Summary.Line("sms 0.5 ms", "sms <= 1 ms", true))), order, "day 1");
        Summary.update(file, Map.of("cpu", List.of(new Summary.Line("forms 2 ms", "form <= 3 ms", true),
                new Summary.Line("not measured in this run", "sms <= 1 ms", (Boolean) null),
                new Summary.Line("not measured in this run", "ratio <= 0.2", (Boolean) null))), order, "day 2");

        List<String> rows = Files.readAllLines(file).stream().filter(l -> l.startsWith("| cpu ")).toList();
        assertThat(rows).containsExactly(
                "| cpu | forms 2 ms | form <= 3 ms | MET | day 2 |",
                "| cpu | sms 0.5 ms | sms <= 1 ms | MET | day 1 |",
                "| cpu | not measured in this run | ratio <= 0.2 | not measured | day 2 |");
    }

    @Test
    void chartPanelsSideBySideMakeOnePng() throws Exception {
        Chart left = new Chart("throughput", "concurrent callers", "req/s", List.of("c=1", "c=16")).series("mediator", List.of(10.0, 20.0));
        left.beside(new Chart("latency", "concurrent callers", "p99 ms", List.of("c=1", "c=16")).series("mediator", List.of(1.0, 2.0)));
        left.savePng(dir.resolve("x.png"));
        byte[] png = Files.readAllBytes(dir.resolve("x.png"));
        assertThat(png[1]).isEqualTo((byte) 'P');
        // two 1000 px panels side by side (IHDR width, big-endian at byte 16)
        int width = ((png[16] & 0xff) << 24) | ((png[17] & 0xff) << 16) | ((png[18] & 0xff) << 8) | (png[19] & 0xff);
        assertThat(width).isEqualTo(2000);
    }
}
