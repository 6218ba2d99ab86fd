package org.chis.common.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.chis.common.testing.StoreEngine;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import java.sql.SQLException;

/** The common reporting views (R__common_reporting_views.sql) on H2 and PostgreSQL, after real store writes. */
class ReportingViewsTest {
    @TempDir Path dir;

    /** Rows of a query as column (lower case) -> value maps. */
    static List<Map<String, Object>> rows(StateStore store, String sql) {
        return store.inTransaction(c -> rows(c, sql));
    }

    static List<Map<String, Object>> rows(Connection c, String sql) throws SQLException {
        List<Map<String, Object>> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            ResultSetMetaData md = rs.getMetaData();
            while (rs.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (int i = 1; i <= md.getColumnCount(); i++) row.put(md.getColumnLabel(i).toLowerCase(Locale.ROOT), rs.getObject(i));
                out.add(row);
            }
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(StoreEngine.class)
    void theViewsShowLedgerFeedsParkedEntriesSagasAndLinks(StoreEngine engine) {
        try (StateStore store = engine.open(dir, "unit")) {
            Ledger ledger = store.ledger();
            ledger.claim("form:1", "form", Duration.ofMinutes(1));
            ledger.succeed("form:1", "{\"ok\":true}");
            ledger.claim("form:2", "form", Duration.ofMinutes(1));
            ledger.fail("form:2", "OpenMRS 500");
            ledger.claim("form:2", "form", Duration.ofMinutes(1)); // the rerun: attempt 2
            ledger.succeed("form:2", "{\"ok\":true}");
            ledger.claim("tracker:9", "tracker", Duration.ofMinutes(1));
            ledger.fail("tracker:9", "DHIS2 409");
            store.inTransaction(c -> {
                store.feedMarkers().advance(c, "patient", "page-7");
                store.idMap().put(c, "case->patient", "case-1", "patient-1");
                store.idMap().put(c, "case->patient", "case-2", "patient-2");
                return null;
            });
            Instant now = Instant.now();
            store.failedEvents().record("encounter", "entry-3", "patient-9", "{\"secret\":1}", "OpenMRS 500", now.plusSeconds(60));
            store.sagaJournal().begin("form:1");
            store.sagaJournal().planStep("form:1", 1, "create patient", "openmrs-patient", "p-1");
            store.sagaJournal().markStepDone("form:1", 1, "openmrs-patient", "p-1");
            store.sagaJournal().finish("form:1", SagaJournal.State.COMPLETED, null);

            LocalDate today = LocalDate.now(ZoneId.systemDefault());
            var daily = rows(store, "SELECT kind, created_day, status, items, attempts FROM rpt_ledger_daily ORDER BY kind, status");
            assertThat(daily).hasSize(2);
            assertThat(daily.get(0)).containsEntry("kind", "form").containsEntry("status", "SUCCEEDED");
            assertThat(((Number) daily.get(0).get("items")).intValue()).isEqualTo(2);
            assertThat(((Number) daily.get(0).get("attempts")).intValue()).isEqualTo(3);
            assertThat(daily.get(0).get("created_day").toString()).isEqualTo(today.toString());
            assertThat(daily.get(1)).containsEntry("kind", "tracker").containsEntry("status", "FAILED");

            var items = rows(store, "SELECT source_key, succeeded, failed, attempts FROM rpt_ledger_item ORDER BY source_key");
            assertThat(items).extracting(r -> r.get("source_key")).containsExactly("form:1", "form:2", "tracker:9");
            assertThat(items).extracting(r -> ((Number) r.get("failed")).intValue()).containsExactly(0, 0, 1);

            var feeds = rows(store, "SELECT feed, marker, parked_entries FROM rpt_feed_status ORDER BY feed");
            assertThat(feeds).extracting(r -> r.get("feed")).containsExactly("encounter", "patient");
            assertThat(((Number) feeds.get(0).get("parked_entries")).intValue()).isEqualTo(1);
            assertThat(feeds.get(0).get("marker")).isNull();
            assertThat(feeds.get(1).get("marker")).isEqualTo("page-7");
            assertThat(((Number) feeds.get(1).get("parked_entries")).intValue()).isZero();

            var parked = rows(store, "SELECT * FROM rpt_parked_entry");
            assertThat(parked).hasSize(1);
            assertThat(parked.get(0)).containsEntry("entry_id", "entry-3").containsEntry("last_error", "OpenMRS 500").doesNotContainKey("payload");

            var sagas = rows(store, "SELECT saga_key, state, steps, undo_failed_steps FROM rpt_saga");
            assertThat(sagas).hasSize(1);
            assertThat(sagas.get(0)).containsEntry("state", "COMPLETED");
            assertThat(((Number) sagas.get(0).get("steps")).intValue()).isEqualTo(1);

            var links = rows(store, "SELECT namespace, links FROM rpt_id_link");
            assertThat(links).hasSize(1);
            assertThat(((Number) links.get(0).get("links")).intValue()).isEqualTo(2);
        }
    }
}
