package org.chis.common.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A commit must survive the process dying right after it (kill -9, OOM killer): the saga journal row written just
 * before an upstream write is what start-up recovery undoes from. H2's default 500 ms write delay lost such commits.
 */
class StateStoreDurabilityTest {
    @TempDir Path dir;

    @Test
    void commitsOfAProcessKilledRightAfterThemAreInTheFile() throws Exception {
        String url = "jdbc:h2:file:" + dir.resolve("state") + ";AUTO_SERVER=FALSE";
        List<String> keys = List.of("killed:1", "killed:2", "killed:3");
        Process child = new ProcessBuilder(java(), "-cp", System.getProperty("java.class.path"),
                KilledProcessCommits.class.getName(), url, keys.get(0), keys.get(1), keys.get(2))
                .redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as("the child halted as kill -9 would").isEqualTo(9);
        try (StateStore store = StateStore.open(url, "", "", null, "storetest")) {
            for (String key : keys) {
                assertThat(store.ledger().find(key)).as(key).get().extracting(Ledger.Entry::status).isEqualTo(Ledger.Status.IN_PROGRESS);
            }
        }
    }

    @Test
    void fileUrlsGetNoWriteDelayOthersAreLeftAlone() {
        assertThat(StateStore.durableH2("jdbc:h2:file:./data/x;AUTO_SERVER=FALSE")).isEqualTo("jdbc:h2:file:./data/x;AUTO_SERVER=FALSE;WRITE_DELAY=0");
        assertThat(StateStore.durableH2("jdbc:h2:./data/x")).isEqualTo("jdbc:h2:./data/x;WRITE_DELAY=0");
        assertThat(StateStore.durableH2("jdbc:h2:file:/d/x;write_delay=100")).isEqualTo("jdbc:h2:file:/d/x;write_delay=100");
        assertThat(StateStore.durableH2("jdbc:h2:mem:x;DB_CLOSE_DELAY=-1")).isEqualTo("jdbc:h2:mem:x;DB_CLOSE_DELAY=-1");
        assertThat(StateStore.durableH2("jdbc:h2:tcp://db/x")).isEqualTo("jdbc:h2:tcp://db/x");
        assertThat(StateStore.cachedH2("jdbc:h2:mem:x")).isEqualTo("jdbc:h2:mem:x;QUERY_CACHE_SIZE=64");
        assertThat(StateStore.cachedH2("jdbc:h2:file:/d/x;query_cache_size=8")).isEqualTo("jdbc:h2:file:/d/x;query_cache_size=8");
    }

    private static String java() { return Path.of(System.getProperty("java.home"), "bin", "java").toString(); }
}
