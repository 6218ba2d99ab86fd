package org.chis.common.work;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.chis.common.store.StateStore;
import org.chis.common.testing.StoreEngine;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class OneAtATimeTest {
    @TempDir Path dir;

    /** While one run holds the lock, a second one in this process and one from a "replica" (its own instance) run nothing. */
    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void aSecondRunHereOrOnAReplicaRunsNothingWhileTheFirstHoldsTheLock(StoreEngine engine) throws Exception {
        try (StateStore store = engine.open(dir, "unit")) {
            OneAtATime here = new OneAtATime(store);
            OneAtATime replica = new OneAtATime(store);
            CountDownLatch inside = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<Optional<String>> first = CompletableFuture.supplyAsync(() -> here.run("pull", () -> {
                inside.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return "first";
            }));
            assertThat(inside.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(here.run("pull", () -> "second")).isEmpty();
            assertThat(replica.run("pull", () -> "replica")).isEmpty();
            assertThat(replica.run("another lock", () -> "other")).contains("other");
            release.countDown();
            assertThat(first.get(30, TimeUnit.SECONDS)).contains("first");
            assertThat(replica.run("pull", () -> "after")).contains("after");
        }
    }
}
