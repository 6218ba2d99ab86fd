package org.chis.common.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiPredicate;
import org.chis.common.testing.StoreEngine;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class FeedMarkersTest {
    @TempDir Path dir;

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void theMarkerMovesWithItsTransactionOnly(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            FeedMarkers markers = store.feedMarkers();
            assertThat(markers.get("patient")).isEmpty();
            store.inTransaction(c -> {
                markers.advance(c, "patient", "entry-1");
                return null;
            });
            assertThat(markers.get("patient")).contains("entry-1");
            store.inTransaction(c -> {
                markers.advance(c, "patient", "entry-2");
                return null;
            });
            assertThat(markers.get("patient")).contains("entry-2");

            assertThatThrownBy(() -> store.inTransaction(c -> {
                markers.advance(c, "patient", "entry-3");
                throw new IllegalStateException("entry 3 could not be recorded");
            })).hasMessageContaining("entry 3");
            assertThat(markers.get("patient")).contains("entry-2");
            assertThat(markers.get("encounter")).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void oneHolderOfAFeedAtATime(StoreEngine engine) throws Exception {
        try (StateStore store = engine.open(dir, "unit"); StateStore replica = engine.open(dir, "unit");
             Connection first = store.dataSource().getConnection(); Connection second = replica.dataSource().getConnection()) {
            first.setAutoCommit(false);
            second.setAutoCommit(false);
            assertThat(store.feedMarkers().tryLock(first, "patient")).isTrue();
            assertThat(replica.feedMarkers().tryLock(second, "patient")).isFalse();
            assertThat(replica.feedMarkers().tryLock(second, "encounter")).isTrue(); // other feeds go on
            second.commit();

            first.commit(); // the lock ends with the holder's transaction
            assertThat(replica.feedMarkers().tryLock(second, "patient")).isTrue();
            assertThat(store.feedMarkers().tryLock(first, "patient")).isFalse();
            second.rollback();
            first.rollback();
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void lockingOutsideATransactionIsRefused(StoreEngine engine) throws Exception {
        try (StateStore store = engine.open(dir, "unit"); Connection c = store.dataSource().getConnection()) {
            assertThatThrownBy(() -> store.feedMarkers().tryLock(c, "patient"))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("transaction");
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void aLockedFeedCanStillBeAdvancedByItsHolder(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            FeedMarkers markers = store.feedMarkers();
            boolean locked = store.inTransaction(c -> {
                boolean got = markers.tryLock(c, "patient");
                markers.advance(c, "patient", "entry-7");
                return got;
            });
            assertThat(locked).isTrue();
            assertThat(markers.get("patient")).contains("entry-7");
        }
    }

    /** Two replicas racing to record the newest value of one key: the highest always stays (compare-and-set on the row). */
    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void advanceIfNewerNeverGoesBackEvenWhenReplicasRace(StoreEngine engine) throws Exception {
        try (StateStore store = engine.open(dir, "unit"); StateStore replica = engine.open(dir, "unit")) {
            BiPredicate<String, String> newer = (a, b) -> Integer.parseInt(a) > Integer.parseInt(b);
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                for (int round = 0; round < 5; round++) {
                    String key = "entity-" + round;
                    List<Future<Boolean>> moves = new ArrayList<>();
                    for (int v = 1; v <= 40; v++) {
                        int value = v;
                        StateStore s = value % 2 == 0 ? store : replica;
                        moves.add(pool.submit(() -> s.<Boolean>inTransaction(c -> s.feedMarkers().advanceIfNewer(c, key, String.format("%03d", value), newer))));
                    }
                    for (var m : moves) m.get();
                    assertThat(store.feedMarkers().get(key)).contains("040");
                }
            } finally {
                pool.shutdownNow();
            }
            boolean moved = store.<Boolean>inTransaction(c -> store.feedMarkers().advanceIfNewer(c, "entity-0", "007", newer));
            assertThat(moved).isFalse();
            assertThat(store.feedMarkers().get("entity-0")).contains("040");
        }
    }
}
