package org.chis.mediator.smscodecard;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The mediator's packages form layers (card <- parse <- reply <- the mediator itself), without cycles: a package
 * may use a lower one, never the other way round. Read from the sources' imports and qualified names (ArchUnit is
 * not a dependency of the suite; this needs none).
 */
class PackageCyclesTest {
    private static final Path SOURCES = Path.of("src/main/java/org/chis/mediator/smscodecard");
    private static final Pattern REFERENCE = Pattern.compile("\\b(org\\.chis\\.mediator\\.smscodecard(?:\\.[a-z][a-z0-9]*)*)\\.[A-Z]");

    @Test
    void thePackagesHaveNoCycles() throws IOException {
        Map<String, Set<String>> uses = packageGraph();
        assertThat(uses).containsKeys("org.chis.mediator.smscodecard.card", "org.chis.mediator.smscodecard.parse",
                "org.chis.mediator.smscodecard.reply");
        List<String> cycles = new ArrayList<>();
        for (String start : uses.keySet()) {
            // every package reachable from start; start among them = start is on a cycle
            Deque<List<String>> paths = new ArrayDeque<>();
            paths.push(List.of(start));
            Set<String> seen = new TreeSet<>();
            while (!paths.isEmpty()) {
                List<String> path = paths.pop();
                for (String next : uses.getOrDefault(path.get(path.size() - 1), Set.of())) {
                    List<String> longer = new ArrayList<>(path);
                    longer.add(next);
                    if (next.equals(start)) cycles.add(String.join(" -> ", longer));
                    else if (seen.add(next)) paths.push(longer);
                }
            }
        }
        assertThat(cycles).as("package cycles").isEmpty();
    }

    @Test
    void theLayersPointDownOnly() throws IOException {
        Map<String, Set<String>> uses = packageGraph();
        String base = "org.chis.mediator.smscodecard";
        assertThat(uses.get(base + ".card")).as("card uses").isEmpty();
        assertThat(uses.get(base + ".parse")).as("parse uses").containsOnly(base + ".card");
        assertThat(uses.get(base + ".reply")).as("reply uses").containsOnly(base + ".card", base + ".parse");
    }

    /** package -> the other packages of this mediator its sources name. */
    private static Map<String, Set<String>> packageGraph() throws IOException {
        Map<String, Set<String>> uses = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String text = Files.readString(f);
                Matcher pkg = Pattern.compile("^package ([a-z0-9.]+);", Pattern.MULTILINE).matcher(text);
                if (!pkg.find()) continue;
                Set<String> used = uses.computeIfAbsent(pkg.group(1), k -> new TreeSet<>());
                Matcher m = REFERENCE.matcher(text);
                while (m.find()) if (!m.group(1).equals(pkg.group(1))) used.add(m.group(1));
            }
        }
        return uses;
    }
}
