package org.chis.mediator.commcareopenmrs.feeds;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Lanes: one patient's entries one after the other in order, different patients at the same time. */
class LanesTest {
    final ExecutorService pool = Executors.newFixedThreadPool(4);

    @AfterEach
    void stop() { pool.shutdownNow(); }

    /** An entry "a1": patient a, first of its lane. */
    static String lane(String entry) { return entry.substring(0, 1); }

    @Test
    void aPatientsEntriesRunInOrderEachGivenTheOneBeforeIt() {
        Map<String, String> before = new ConcurrentHashMap<>();
        List<String> ran = Collections.synchronizedList(new ArrayList<>());
        Lanes<String> lanes = new Lanes<>(pool, 0, LanesTest::lane, (e, b) -> {
            before.put(e, String.valueOf(b));
            ran.add(e);
            return CompletableFuture.completedFuture(e);
        });
        for (String e : List.of("a1", "b1", "a2", "c1", "a3", "b2")) lanes.add(e);
        lanes.finish();

        assertThat(before).containsEntry("a1", "null").containsEntry("a2", "a1").containsEntry("a3", "a2")
                .containsEntry("b1", "null").containsEntry("b2", "b1").containsEntry("c1", "null");
        assertThat(ran.stream().filter(e -> e.startsWith("a")).toList()).containsExactly("a1", "a2", "a3");
        assertThat(ran).hasSize(6);
    }

    @Test
    void differentPatientsRunAtTheSameTime() throws Exception {
        CountDownLatch both = new CountDownLatch(2);
        Lanes<String> lanes = new Lanes<>(pool, 0, LanesTest::lane, (e, b) -> {
            both.countDown();
            try {
                // each waits for the other: only finishes if the two lanes run in parallel
                assertThat(both.await(10, TimeUnit.SECONDS)).isTrue();
            } catch (InterruptedException ex) {
                throw new IllegalStateException(ex);
            }
            return CompletableFuture.completedFuture(e);
        });
        lanes.add("a1");
        lanes.add("b1");
        lanes.finish();
        assertThat(both.getCount()).isZero();
    }

    @Test
    void anEntryJoinsItsLaneOnlyOnceTheWindowBehindItIsFull() {
        List<String> asked = Collections.synchronizedList(new ArrayList<>());
        Lanes<String> lanes = new Lanes<>(pool, 2, e -> {
            asked.add(e);
            return lane(e);
        }, (e, b) -> CompletableFuture.completedFuture(e));
        lanes.add("a1");
        lanes.add("b1");
        assertThat(asked).isEmpty();
        lanes.add("c1");
        assertThat(asked).containsExactly("a1");
        lanes.finish();
        assertThat(asked).containsExactly("a1", "b1", "c1");
    }

    @Test
    void aLaneWaitsForItsEntryToBeDoneWhileItsThreadRunsOtherLanes() {
        ExecutorService one = Executors.newSingleThreadExecutor();
        try {
            CompletableFuture<String> a1Done = new CompletableFuture<>();
            List<String> ran = Collections.synchronizedList(new ArrayList<>());
            Lanes<String> lanes = new Lanes<>(one, 0, LanesTest::lane, (e, b) -> {
                ran.add(e);
                if (e.equals("a1")) return a1Done; // e.g. its record not committed yet
                if (e.equals("b1")) a1Done.complete("a1"); // the one thread got to b1 while a1 was not done
                return CompletableFuture.completedFuture(e);
            });
            lanes.add("a1");
            lanes.add("a2");
            lanes.add("b1");
            lanes.finish();
            assertThat(ran).containsExactly("a1", "b1", "a2");
        } finally {
            one.shutdownNow();
        }
    }
}
