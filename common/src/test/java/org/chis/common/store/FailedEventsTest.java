package org.chis.common.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.chis.common.testing.StoreEngine;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class FailedEventsTest {
    @TempDir Path dir;

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void aParkedEventBlocksItsSubjectOnlyUntilResolved(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            FailedEvents failed = store.failedEvents();
            Instant now = Instant.now();
            failed.record("patient", "entry-1", "patient-A", "{\"a\":1}", "OpenMRS 500", now);
            failed.record("patient", "entry-2", "patient-B", "{\"b\":1}", "timeout", now.plus(Duration.ofHours(1)));

            assertThat(failed.isBlocked("patient", "patient-A")).isTrue();
            assertThat(failed.isBlocked("patient", "patient-B")).isTrue();
            assertThat(failed.isBlocked("patient", "patient-C")).isFalse();
            assertThat(failed.isBlocked("encounter", "patient-A")).isFalse(); // per feed
            assertThat(failed.isBlocked("patient", null)).isFalse();
            assertThat(failed.count("patient")).isEqualTo(2);

            failed.resolve("patient", "entry-1");
            assertThat(failed.isBlocked("patient", "patient-A")).isFalse();
            assertThat(failed.count("patient")).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void recordingAgainCountsTheAttemptAndKeepsTheLatestError(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            FailedEvents failed = store.failedEvents();
            Instant now = Instant.now();
            failed.record("patient", "entry-1", "patient-A", "{}", "first error", now);
            failed.record("patient", "entry-1", "patient-A", "{\"v\":2}", "second error", now.plusSeconds(60));

            List<FailedEvent> all = failed.all("patient");
            assertThat(all).hasSize(1);
            FailedEvent e = all.get(0);
            assertThat(e.attempts()).isEqualTo(2);
            assertThat(e.lastError()).isEqualTo("second error");
            assertThat(e.payload()).isEqualTo("{\"v\":2}");
            assertThat(e.subject()).isEqualTo("patient-A");
            assertThat(e.nextAttemptAt()).isAfter(now.plusSeconds(59));
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void dueEventsComeOldestFirstWithinTheLimit(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            FailedEvents failed = store.failedEvents();
            Instant now = Instant.now();
            failed.record("patient", "entry-1", "A", "{}", "e", now.minusSeconds(30));
            failed.record("patient", "entry-2", "B", "{}", "e", now.plusSeconds(3600)); // not yet
            failed.record("patient", "entry-3", "A", "{}", "e", now.minusSeconds(60));
            failed.record("patient", "entry-4", "C", "{}", "e", now.minusSeconds(1));
            failed.record("encounter", "entry-5", "A", "{}", "e", now.minusSeconds(1));

            assertThat(failed.due("patient", now, 10)).extracting(FailedEvent::entryId).containsExactly("entry-1", "entry-3", "entry-4");
            assertThat(failed.due("patient", now, 2)).extracting(FailedEvent::entryId).containsExactly("entry-1", "entry-3");

            FailedEvent third = failed.due("patient", now, 10).get(1);
            assertThat(failed.isBlockedBefore("patient", "A", third.id())).isTrue(); // entry-1 of A goes first
            FailedEvent first = failed.due("patient", now, 10).get(0);
            assertThat(failed.isBlockedBefore("patient", "A", first.id())).isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void parkingAndTheMarkerCommitTogether(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            store.inTransaction(c -> {
                store.failedEvents().record(c, "patient", "entry-1", "A", "{}", "bad", Instant.now());
                store.feedMarkers().advance(c, "patient", "entry-1");
                return null;
            });
            assertThat(store.failedEvents().count("patient")).isEqualTo(1);
            assertThat(store.feedMarkers().get("patient")).contains("entry-1");
        }
    }
}
