package org.chis.common.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.chis.common.config.ConfigException;
import org.chis.common.config.Settings;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With WRITE_DELAY=0 H2 never compacts by itself: each commit leaves a chunk and old chunks keep a few live pages, so
 * the file and the layout map written on every commit grow without bound. Compaction rounds keep both bounded and
 * commits made while a round runs stay durable.
 */
class H2CompactionTest {
    @TempDir Path dir;

    @Test
    void roundsKeepChunksAndFileBoundedAndDataIntact() throws Exception {
        Growth without = formsInRounds("plain", false);
        Growth with = formsInRounds("compacted", true);
        System.out.println("without rounds " + without + ", with rounds " + with);
        for (int c : with.chunks()) assertThat(c).as("live chunks after each round " + with).isLessThan(60);
        assertThat(without.chunks().get(5)).as("without rounds").isGreaterThan(1000);
        long maxWith = with.sizes().stream().mapToLong(Long::longValue).max().orElseThrow();
        assertThat(maxWith).as("largest file with rounds").isLessThan(without.sizes().get(5) / 2);
    }

    /** File size and live chunks after each of 6 rounds of 250 forms (about 3 commits each), compacted or not. */
    record Growth(List<Long> sizes, List<Integer> chunks) { }

    private Growth formsInRounds(String name, boolean compact) throws Exception {
        String url = "jdbc:h2:file:" + dir.resolve(name) + ";AUTO_SERVER=FALSE";
        Path file = dir.resolve(name + ".mv.db");
        try (StateStore store = StateStore.open(url, "", "", null, "storetest")) {
            // H2 moves or reuses a chunk only once it is older than its retention time (45 s): 0 here so nothing waits
            mvStore(store).setRetentionTime(0);
            FormCommitProbe.FormRun run = new FormCommitProbe.FormRun(store);
            Growth g = new Growth(new ArrayList<>(), new ArrayList<>());
            int forms = 0;
            for (int round = 0; round < 6; round++) {
                for (int i = 0; i < 250; i++) run.form("f" + forms++);
                if (compact) {
                    H2Compaction.Round r = store.compaction().round();
                    assertThat(r.steps()).as("round %d", round).isPositive();
                    assertThat(r.fillAfter()).as("fill rate after round %d: %s", round, r).isGreaterThanOrEqualTo(50);
                }
                run.form("f" + forms++); // the commit after a round drops the emptied chunks
                g.sizes().add(Files.size(file));
                g.chunks().add(liveChunks(store));
            }
            for (int i = 0; i < forms; i++) {
                assertThat(store.idMap().target("form->patient", "commcare:f" + i)).as("form %d", i)
                        .contains(UUID.nameUUIDFromBytes(("f" + i + "/patient").getBytes()).toString());
            }
            return g;
        }
    }

    @Test
    void theTimerRunsRoundsAtTheConfiguredInterval() throws Exception {
        Settings settings = Settings.of(Map.of("db.url", "jdbc:h2:file:" + dir.resolve("timed") + ";AUTO_SERVER=FALSE",
                "db.h2.compactIntervalMs", "200"));
        try (StateStore store = StateStore.open(settings, "storetest")) {
            mvStore(store).setRetentionTime(0);
            FormCommitProbe.FormRun run = new FormCommitProbe.FormRun(store);
            for (int i = 0; i < 300; i++) run.form("t" + i);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (liveChunks(store) > 60 && System.nanoTime() < deadline) {
                Thread.sleep(100);
                run.form("poke" + System.nanoTime()); // a commit drops the chunks a round emptied
            }
            assertThat(liveChunks(store)).isLessThanOrEqualTo(60);
        }
    }

    @Test
    void aFillRateThatIsNoPercentageIsRefused() {
        Settings settings = Settings.of(Map.of("db.url", "jdbc:h2:file:" + dir.resolve("bad") + ";AUTO_SERVER=FALSE",
                "db.h2.compactFillRate", "0"));
        assertThatThrownBy(() -> StateStore.open(settings, "storetest")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("db.h2.compactFillRate");
    }

    @Test
    void commitsMadeWhileCompactionRunsSurviveKillNine() throws Exception {
        String url = "jdbc:h2:file:" + dir.resolve("state") + ";AUTO_SERVER=FALSE";
        List<String> args = new ArrayList<>(List.of(java(), "-cp", System.getProperty("java.class.path"),
                CompactingProcessCommits.class.getName(), url));
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 150; i++) keys.add("during-compaction:" + i);
        args.addAll(keys);
        Process child = new ProcessBuilder(args).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
        assertThat(child.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as("halted as kill -9 would, after compaction steps: " + Files.readString(dir.resolve("child.log")))
                .isEqualTo(9);
        try (StateStore store = StateStore.open(url, "", "", null, "storetest")) {
            for (String key : keys) {
                assertThat(store.ledger().find(key)).as(key).get().extracting(Ledger.Entry::status).isEqualTo(Ledger.Status.IN_PROGRESS);
            }
            for (int i = 0; i < 300; i++) {
                assertThat(store.idMap().target("form->patient", "commcare:pre" + i)).as("form %d", i).isPresent();
            }
        }
    }

    private static int liveChunks(StateStore store) throws Exception {
        return (int) mvStore(store).getLayoutMap().keySet().stream().filter(k -> k.startsWith("chunk.")).count();
    }

    private static MVStore mvStore(StateStore store) throws Exception {
        try (Connection c = store.dataSource().getConnection()) {
            return ((SessionLocal) c.unwrap(JdbcConnection.class).getSession()).getDatabase().getStore().getMvStore();
        }
    }

    private static String java() { return Path.of(System.getProperty("java.home"), "bin", "java").toString(); }
}
