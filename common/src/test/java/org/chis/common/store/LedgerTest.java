package org.chis.common.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.chis.common.store.Ledger.Claim;
import org.chis.common.store.Ledger.ClaimResult;
import org.chis.common.testing.StoreEngine;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LedgerTest {
    private static final Duration LEASE = Duration.ofMinutes(5);

    @TempDir Path dir;

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void newThenInProgressThenDoneWithTheRecordedOutcome(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            Ledger ledger = store.ledger();
            Claim first = ledger.claim("form-1", "form", LEASE);
            assertThat(first.result()).isEqualTo(ClaimResult.NEW);
            assertThat(first.owned()).isTrue();
            assertThat(first.attempts()).isEqualTo(1);

            Claim duplicate = ledger.claim("form-1", "form", LEASE);
            assertThat(duplicate.result()).isEqualTo(ClaimResult.IN_PROGRESS);
            assertThat(duplicate.owned()).isFalse();

            ledger.succeed("form-1", "{\"patient\":\"p-1\"}");
            Claim rerun = ledger.claim("form-1", "form", LEASE);
            assertThat(rerun.result()).isEqualTo(ClaimResult.DONE);
            assertThat(rerun.outcome()).isEqualTo("{\"patient\":\"p-1\"}");

            Ledger.Entry entry = ledger.find("form-1").orElseThrow();
            assertThat(entry.status()).isEqualTo(Ledger.Status.SUCCEEDED);
            assertThat(entry.kind()).isEqualTo("form");
            assertThat(entry.leaseUntil()).isNull();
            assertThat(entry.createdAt()).isNotNull();
            assertThat(ledger.find("form-2")).isEmpty();
        }
    }

    /** The holder's note is written by the claim's own statement, from the claim number and the last run's outcome. */
    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void aClaimLeavesItsHoldersNoteInTheSameStatement(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            Ledger ledger = store.ledger();
            List<String> seen = new ArrayList<>();
            Ledger.HolderNote note = (attempts, last) -> {
                seen.add(attempts + ":" + last);
                return "{\"holder\":" + attempts + "}";
            };
            assertThat(ledger.claim("form-9", "form", LEASE, note).result()).isEqualTo(ClaimResult.NEW);
            assertThat(ledger.find("form-9").orElseThrow().outcome()).isEqualTo("{\"holder\":1}");
            assertThat(ledger.claim("form-9", "form", LEASE, note).result()).as("held: no note written").isEqualTo(ClaimResult.IN_PROGRESS);
            assertThat(ledger.find("form-9").orElseThrow().outcome()).isEqualTo("{\"holder\":1}");

            ledger.fail("form-9", "{\"error\":\"x\"}");
            Claim rerun = ledger.claim("form-9", "form", LEASE, note);
            assertThat(rerun.result()).isEqualTo(ClaimResult.RETRY);
            assertThat(rerun.outcome()).as("the last run's outcome, for the rerun to read").isEqualTo("{\"error\":\"x\"}");
            assertThat(ledger.find("form-9").orElseThrow().outcome()).isEqualTo("{\"holder\":2}");
            assertThat(seen).contains("1:null", "2:{\"error\":\"x\"}");
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void aFailedKeyIsRetriedWithTheAttemptCounted(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            Ledger ledger = store.ledger();
            ledger.claim("msg-1", "sms", LEASE);
            ledger.fail("msg-1", "{\"error\":\"OpenMRS 503\"}");

            Claim retry = ledger.claim("msg-1", "sms", LEASE);
            assertThat(retry.result()).isEqualTo(ClaimResult.RETRY);
            assertThat(retry.owned()).isTrue();
            assertThat(retry.attempts()).isEqualTo(2);
            assertThat(retry.outcome()).contains("OpenMRS 503");
            assertThat(ledger.claim("msg-1", "sms", LEASE).result()).isEqualTo(ClaimResult.IN_PROGRESS);
            assertThat(ledger.find("msg-1").orElseThrow().status()).isEqualTo(Ledger.Status.IN_PROGRESS);
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void anExpiredLeaseIsTakenOver(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            Ledger ledger = store.ledger();
            assertThat(ledger.claim("ref-1", "referral", Duration.ZERO).result()).isEqualTo(ClaimResult.NEW);
            Claim takeover = ledger.claim("ref-1", "referral", LEASE);
            assertThat(takeover.result()).isEqualTo(ClaimResult.RETRY);
            assertThat(takeover.attempts()).isEqualTo(2);
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void succeedingAnUnclaimedKeyIsABug(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            assertThatThrownBy(() -> store.ledger().succeed("never-claimed", "{}"))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("never-claimed");
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void eightConcurrentClaimersExactlyOneOwnsANewKey(StoreEngine engine) throws Exception {
        try (StateStore store = engine.open(dir, "unit"); StateStore replica = engine.open(dir, "unit")) {
            for (int round = 0; round < 10; round++) {
                String key = "race-" + round;
                // half the threads go through a second pool on the same database: another replica
                List<ClaimResult> results = race(8, i -> (i % 2 == 0 ? store : replica).ledger().claim(key, "form", LEASE).result());
                assertThat(results).filteredOn(r -> r == ClaimResult.NEW).hasSize(1);
                assertThat(results).filteredOn(r -> r == ClaimResult.IN_PROGRESS).hasSize(7);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void eightConcurrentClaimersExactlyOneRetriesAFailedKey(StoreEngine engine) throws Exception {
        try (StateStore store = engine.open(dir, "unit"); StateStore replica = engine.open(dir, "unit")) {
            for (int round = 0; round < 10; round++) {
                String key = "retry-race-" + round;
                store.ledger().claim(key, "form", LEASE);
                store.ledger().fail(key, "{}");
                List<ClaimResult> results = race(8, i -> (i % 2 == 0 ? store : replica).ledger().claim(key, "form", LEASE).result());
                assertThat(results).filteredOn(r -> r == ClaimResult.RETRY).hasSize(1);
                assertThat(results).filteredOn(r -> r == ClaimResult.IN_PROGRESS).hasSize(7);
                assertThat(store.ledger().find(key).orElseThrow().attempts()).isEqualTo(2);
            }
        }
    }

    interface Contender<T> {
        T run(int index) throws Exception;
    }

    /** Runs {@code n} contenders released at the same instant; returns their results. */
    static <T> List<T> race(int n, Contender<T> contender) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CountDownLatch ready = new CountDownLatch(n);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int index = i;
                Callable<T> task = () -> {
                    ready.countDown();
                    go.await();
                    return contender.run(index);
                };
                futures.add(pool.submit(task));
            }
            ready.await();
            go.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) results.add(f.get());
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void aDeadHoldersClaimIsReleasedAtOnceButNeverATakenOverOrFinishedOne(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            Ledger ledger = store.ledger();
            Claim held = ledger.claim("msg-1", "sms", LEASE);
            assertThat(ledger.note("msg-1", held.attempts(), "{\"also\":\"report-1\"}")).isTrue();
            assertThat(ledger.note("msg-1", held.attempts() + 1, "{}")).isFalse(); // not that claim's holder
            assertThat(ledger.release("msg-1", held.attempts() + 1)).isFalse();
            assertThat(ledger.claim("msg-1", "sms", LEASE).result()).isEqualTo(ClaimResult.IN_PROGRESS);

            assertThat(ledger.release("msg-1", held.attempts())).isTrue();
            assertThat(ledger.find("msg-1").orElseThrow().leaseUntil()).isNull();
            Claim resend = ledger.claim("msg-1", "sms", LEASE); // before the lease would have run out
            assertThat(resend.result()).isEqualTo(ClaimResult.RETRY);
            assertThat(resend.outcome()).isEqualTo("{\"also\":\"report-1\"}");
            assertThat(ledger.release("msg-1", held.attempts())).isFalse(); // taken over since: the new holder keeps it
            assertThat(ledger.claim("msg-1", "sms", LEASE).result()).isEqualTo(ClaimResult.IN_PROGRESS);

            ledger.succeed("msg-1", "{\"ok\":true}");
            assertThat(ledger.release("msg-1", resend.attempts())).isFalse();
            assertThat(ledger.note("msg-1", resend.attempts(), "{}")).isFalse();
            assertThat(ledger.claim("msg-1", "sms", LEASE).result()).isEqualTo(ClaimResult.DONE);
            assertThat(ledger.release("never", 1)).isFalse();
        }
    }
}
