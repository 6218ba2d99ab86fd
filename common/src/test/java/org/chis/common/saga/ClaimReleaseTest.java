package org.chis.common.saga;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.chis.common.store.Ledger;
import org.chis.common.store.Ledger.Claim;
import org.chis.common.store.Ledger.ClaimResult;
import org.chis.common.store.StateStore;
import org.chis.common.testing.StoreEngine;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ClaimReleaseTest {
    private static final Duration LEASE = Duration.ofMinutes(5);

    @TempDir Path dir;

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void onlyTheNotedClaimStillInProgressIsReleased(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            Ledger ledger = store.ledger();
            SagaRecovery.Listener listener = ClaimRelease.afterRecovery(ledger);

            ClaimRelease.note(ledger, ledger.claim("noted", "form", LEASE));
            listener.recovered("noted", true);
            Claim resend = ledger.claim("noted", "form", LEASE); // long before the lease would have run out
            assertThat(resend.result()).isEqualTo(ClaimResult.RETRY);
            assertThat(ClaimRelease.release(ledger, "noted")).isFalse(); // the resend's claim was not noted (yet)
            ClaimRelease.note(ledger, resend);
            ledger.succeed("noted", "{\"ok\":true}");
            assertThat(ClaimRelease.release(ledger, "noted")).isFalse(); // finished
            assertThat(ledger.claim("noted", "form", LEASE).result()).isEqualTo(ClaimResult.DONE);

            ledger.claim("never-noted", "form", LEASE); // died before noting: left to the lease
            assertThat(ClaimRelease.release(ledger, "never-noted")).isFalse();
            assertThat(ledger.claim("never-noted", "form", LEASE).result()).isEqualTo(ClaimResult.IN_PROGRESS);

            ClaimRelease.note(ledger, ledger.claim("taken-over", "form", Duration.ZERO));
            Claim takeover = ledger.claim("taken-over", "form", LEASE); // claim 2, its holder alive, noted claim 1
            assertThat(takeover.attempts()).isEqualTo(2);
            assertThat(ClaimRelease.release(ledger, "taken-over")).isFalse();
            assertThat(ledger.claim("taken-over", "form", LEASE).result()).isEqualTo(ClaimResult.IN_PROGRESS);

            assertThat(ClaimRelease.release(ledger, "unknown")).isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void atStartUpTheNotedClaimsOfAKindStillInProgressAreReleasedEvenWithoutASaga(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            Ledger ledger = store.ledger();
            ClaimRelease.note(ledger, ledger.claim("died-before-saga", "form", LEASE)); // no saga was ever begun
            ledger.claim("not-noted", "form", LEASE);
            ClaimRelease.note(ledger, ledger.claim("other-kind", "sms", LEASE));
            ClaimRelease.note(ledger, ledger.claim("finished", "form", LEASE));
            ledger.succeed("finished", "{\"ok\":true}");

            assertThat(ledger.inProgress("form")).containsExactly("died-before-saga", "not-noted");
            assertThat(ClaimRelease.releaseDead(ledger, "form")).isEqualTo(1);
            assertThat(ledger.claim("died-before-saga", "form", LEASE).result()).isEqualTo(ClaimResult.RETRY);
            assertThat(ledger.claim("not-noted", "form", LEASE).result()).isEqualTo(ClaimResult.IN_PROGRESS);
            assertThat(ledger.claim("other-kind", "sms", LEASE).result()).isEqualTo(ClaimResult.IN_PROGRESS);
            assertThat(ledger.claim("finished", "form", LEASE).result()).isEqualTo(ClaimResult.DONE);
        }
    }
}
