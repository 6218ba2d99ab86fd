package org.chis.common.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.assertj.core.groups.Tuple;
import org.chis.common.store.FailedEvent;
import org.chis.common.store.Ledger;
import org.chis.common.store.StateStore;
import org.chis.common.testing.StoreEngine;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Operator actions on the state tables, on both engines. */
class OperatorActionsTest {
    @TempDir Path dir;
    final OperatorActions.Actor alice = new OperatorActions.Actor("alice", "OpenMRS patient merged by hand");

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void retryMakesAParkedEntryDueNowAndSkipRemovesItWithAnAuditRow(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            OperatorActions ops = new OperatorActions(store, Clock.systemUTC());
            Instant later = Instant.now().plus(Duration.ofHours(3));
            store.failedEvents().record("patient", "entry-1", "A", "{\"p\":1}", "OpenMRS 500", later);
            store.failedEvents().record("patient", "entry-2", "B", "{\"p\":2}", "timeout", later);
            long first = store.failedEvents().all("patient").get(0).id();
            assertThat(store.failedEvents().due("patient", Instant.now(), 10)).isEmpty();

            assertThat(ops.retry(first, alice)).map(FailedEvent::entryId).contains("entry-1");
            assertThat(store.failedEvents().due("patient", Instant.now().plusSeconds(1), 10)).extracting(FailedEvent::entryId).containsExactly("entry-1");

            assertThat(ops.skip(first, alice)).map(FailedEvent::lastError).contains("OpenMRS 500");
            assertThat(store.failedEvents().count("patient")).isEqualTo(1);
            assertThat(store.failedEvents().isBlocked("patient", "A")).as("its patient goes on").isFalse();
            assertThat(ops.skip(first, alice)).as("unknown now").isEmpty();
            assertThat(ops.retry(999_999, alice)).isEmpty();

            List<ObjectNode> audit = ops.audit(10);
            assertThat(audit).extracting(a -> a.path("action").asText()).containsExactlyInAnyOrder("retry", "skip");
            ObjectNode skip = audit.stream().filter(a -> a.path("action").asText().equals("skip")).findFirst().orElseThrow();
            assertThat(skip.path("by").asText()).isEqualTo("alice");
            assertThat(skip.path("reason").asText()).isEqualTo("OpenMRS patient merged by hand");
            assertThat(skip.at("/target/payload").asText()).as("nothing lost").isEqualTo("{\"p\":1}");
            assertThat(skip.at("/target/entryId").asText()).isEqualTo("entry-1");
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void feedsListMarkersAndParkedCountsAndAResetKeepsTheOldMarker(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            OperatorActions ops = new OperatorActions(store, Clock.systemUTC());
            store.inTransaction(c -> {
                store.feedMarkers().advance(c, "patient", "{\"page\":\"p3\",\"entry\":\"e9\"}");
                store.feedMarkers().tryLock(c, "a-lock-row"); // a lock-only row (NULL marker) is not a feed
                return null;
            });
            store.failedEvents().record("encounter", "entry-7", "A", "{}", "e", Instant.now());

            assertThat(ops.feeds()).extracting(OperatorActions.Feed::feed, OperatorActions.Feed::parked)
                    .containsExactly(Tuple.tuple("encounter", 1), Tuple.tuple("patient", 0));
            assertThat(ops.feeds().get(1).markerUpdatedAt()).isNotNull();

            assertThat(ops.resetMarker("patient", "{\"page\":\"p1\",\"entry\":null}", alice)).contains("{\"page\":\"p3\",\"entry\":\"e9\"}");
            assertThat(store.feedMarkers().get("patient")).contains("{\"page\":\"p1\",\"entry\":null}");
            assertThat(ops.resetMarker("no-such-feed", "x", alice)).isEmpty();
            assertThat(ops.resetMarker("a-lock-row", "x", alice)).isEmpty();
            assertThat(ops.audit(10).get(0).at("/target/oldMarker").asText()).isEqualTo("{\"page\":\"p3\",\"entry\":\"e9\"}");
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void aStuckClaimIsListedAndReleasedOnce(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            Ledger ledger = store.ledger();
            ledger.claim("form:stuck", "form", Duration.ofHours(1));
            ledger.claim("form:done", "form", Duration.ofHours(1));
            ledger.succeed("form:done", "{}");
            // seen from an hour later: the claim has not moved since
            OperatorActions ops = new OperatorActions(store, Clock.offset(Clock.systemUTC(), Duration.ofMinutes(61)));

            assertThat(ops.stuckClaims(Duration.ofMinutes(60), 10)).extracting(OperatorActions.Claim::key).containsExactly("form:stuck");
            assertThat(ops.stuckClaims(Duration.ofMinutes(120), 10)).isEmpty();

            OperatorActions.Claim c = ops.claim("form:stuck").orElseThrow();
            assertThat(ops.release(c, alice)).isTrue();
            assertThat(ops.release(c, alice)).as("released already").isFalse();
            assertThat(ledger.find("form:stuck").orElseThrow().status()).isEqualTo(Ledger.Status.FAILED);
            assertThat(ledger.claim("form:stuck", "form", Duration.ofHours(1)).result()).as("taken at once").isEqualTo(Ledger.ClaimResult.RETRY);
            assertThat(ops.audit(10)).extracting(a -> a.path("action").asText()).containsExactly("release-claim");
        }
    }
}
