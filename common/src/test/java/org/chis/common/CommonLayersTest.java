package org.chis.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * common/'s packages form layers: what records the audit trail (audit) and talks to upstreams (http, systems) or keeps
 * state (store, saga) never imports the OpenHIM runtime, the room (work) or the operator tools above it. Read from
 * the sources' imports (a Javadoc link is not a dependency).
 */
class CommonLayersTest {
    private static final Path SOURCES = Path.of("src/main/java/org/chis/common");
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?org\\.chis\\.common\\.([a-z]+)\\.", Pattern.MULTILINE);
    private static final Set<String> ABOVE_THE_UPSTREAM_LAYER = Set.of("openhim", "work", "ops");

    @Test
    void auditIsTheLowestPackageBesideJson() throws IOException {
        Map<String, Set<String>> uses = packageGraph();
        assertThat(uses.get("json")).as("json imports").isEmpty();
        assertThat(uses.get("audit")).as("audit imports").isSubsetOf("json");
        assertThat(uses.get("http")).as("http imports").isSubsetOf("audit", "config", "json");
    }

    @Test
    void upstreamClientsStateAndSagasDoNotPointUpAtTheRuntime() throws IOException {
        Map<String, Set<String>> uses = packageGraph();
        for (String lower : Set.of("audit", "json", "config", "http", "systems", "store", "saga", "metrics")) {
            assertThat(uses.getOrDefault(lower, Set.of())).as(lower + " imports").doesNotContainAnyElementsOf(ABOVE_THE_UPSTREAM_LAYER);
        }
    }

    /** top-level package under org.chis.common -> the other top-level packages its sources import. */
    private static Map<String, Set<String>> packageGraph() throws IOException {
        Map<String, Set<String>> uses = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Path rel = SOURCES.relativize(f);
                if (rel.getNameCount() < 2) continue;
                String own = rel.getName(0).toString();
                Set<String> used = uses.computeIfAbsent(own, k -> new TreeSet<>());
                Matcher m = IMPORT.matcher(Files.readString(f));
                while (m.find()) if (!m.group(1).equals(own)) used.add(m.group(1));
            }
        }
        return uses;
    }
}
