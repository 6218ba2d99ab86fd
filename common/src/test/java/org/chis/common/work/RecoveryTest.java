package org.chis.common.work;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.chis.common.config.ConfigException;
import org.chis.common.config.Settings;
import org.chis.common.audit.TransactionContext;
import org.chis.common.saga.Compensators;
import org.chis.common.saga.Saga;
import org.chis.common.store.Ledger;
import org.chis.common.store.Ledger.ClaimResult;
import org.chis.common.store.StateStore;
import org.chis.common.testing.StoreEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RecoveryTest {
    private static final Duration LEASE = Duration.ofMinutes(5);

    @TempDir Path dir;

    @Test
    void dbReplicasIsSingleByDefaultAndFormsReplicasIsReadAsItsDeprecatedAlias() {
        assertThat(Recovery.replicas(Settings.of(Map.of()))).isEqualTo(Recovery.Replicas.SINGLE);
        assertThat(Recovery.replicas(Settings.of(Map.of("db.replicas", "many")))).isEqualTo(Recovery.Replicas.MANY);
        assertThat(Recovery.replicas(Settings.of(Map.of("forms.replicas", "MANY")))).isEqualTo(Recovery.Replicas.MANY);
        assertThat(Recovery.replicas(Settings.of(Map.of("db.replicas", "single", "forms.replicas", "many")))).isEqualTo(Recovery.Replicas.SINGLE);
        assertThatThrownBy(() -> Recovery.replicas(Settings.of(Map.of("db.replicas", "two"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("db.replicas").hasMessageContaining("'two'");
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void onlyTheNotedClaimStillInProgressIsReleasedWithTheOtherClaimsItHolds(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            Ledger ledger = store.ledger();
            Idempotent room = new Recovery(store, Recovery.Replicas.SINGLE).idempotent("form", LEASE);

            Idempotent.Held held = (Idempotent.Held) room.take("noted");
            assertThat(held.claimAlso("report", "report", LEASE).owned()).isTrue();
            assertThat(Recovery.release(ledger, "noted")).isTrue(); // as start-up recovery does once its holder died
            assertThat(ledger.claim("report", "report", LEASE).result()).isEqualTo(ClaimResult.RETRY);
            Idempotent.Held resend = (Idempotent.Held) room.take("noted"); // long before the lease would have run out
            assertThat(resend.attempts()).isEqualTo(2);
            resend.succeed("{\"ok\":true}", null);
            assertThat(Recovery.release(ledger, "noted")).isFalse(); // finished
            assertThat(ledger.claim("noted", "form", LEASE).result()).isEqualTo(ClaimResult.DONE);

            ledger.claim("never-noted", "form", LEASE); // taken without the room (or by a replica with many): the lease
            assertThat(Recovery.release(ledger, "never-noted")).isFalse();
            assertThat(ledger.claim("never-noted", "form", LEASE).result()).isEqualTo(ClaimResult.IN_PROGRESS);

            new Recovery(store, Recovery.Replicas.SINGLE).idempotent("form", Duration.ZERO).take("taken-over");
            assertThat(room.take("taken-over")).isInstanceOf(Idempotent.Held.class); // claim 2, noted; claim 1's note is gone
            ledger.note("taken-over", 2, "{\"sagaClaim\":1}"); // as if claim 1's holder wrote late
            assertThat(Recovery.release(ledger, "taken-over")).isFalse();
            assertThat(Recovery.release(ledger, "unknown")).isFalse();
        }
    }

    @Test
    void atStartUpASingleReplicaUndoesRunningSagasAndReleasesTheirClaimsAndThoseOfRunsThatDiedBeforeTheirSaga() {
        try (StateStore store = StoreEngine.H2.open(dir, "unit")) {
            Recovery recovery = new Recovery(store, Recovery.Replicas.SINGLE);
            Idempotent room = recovery.idempotent("form", LEASE);
            Compensators compensators = new Compensators().register("thing", (tx, ref) -> { });
            Idempotent.Held inSaga = (Idempotent.Held) room.take("in-saga");
            // the process "dies" inside the saga: an Error is not compensated, the journal stays RUNNING
            assertThatThrownBy(() -> new Saga(store, compensators).run(new TransactionContext("tx"), inSaga.claim(), run -> {
                run.create("make", "thing", "t-1", () -> "t-1");
                throw new OutOfMemoryError("killed");
            })).isInstanceOf(OutOfMemoryError.class);
            room.take("before-saga");
            recovery.idempotent("sms", LEASE).take("other-kind");

            assertThat(recovery.atStartUp(compensators, LEASE, "form")).isEqualTo(1);
            assertThat(store.ledger().claim("in-saga", "form", LEASE).result()).isEqualTo(ClaimResult.RETRY);
            assertThat(store.ledger().claim("before-saga", "form", LEASE).result()).isEqualTo(ClaimResult.RETRY);
            assertThat(store.ledger().claim("other-kind", "sms", LEASE).result()).isEqualTo(ClaimResult.IN_PROGRESS);
        }
    }

    @Test
    void aSagaRunsOnlyUnderAHeldClaim() {
        try (StateStore store = StoreEngine.H2.open(dir, "unit")) {
            Ledger.Claim held = store.ledger().claim("k", "form", LEASE);
            Ledger.Claim busy = store.ledger().claim("k", "form", LEASE);
            assertThatThrownBy(() -> new Saga(store, new Compensators()).run(new TransactionContext("tx"), busy, run -> { }))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("not held");
            assertThat(new Saga(store, new Compensators()).run(new TransactionContext("tx"), held, run -> { }).succeeded()).isTrue();
        }
    }
}
