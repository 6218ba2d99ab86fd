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
}
