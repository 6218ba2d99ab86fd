package org.chis.mediator.referral;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.chis.common.store.StateStore;
import org.chis.common.testing.PostgresServer;
import org.chis.simulators.commcare.CommCareSimulator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The referral reporting views Superset reads (db/referral/R__referral_reporting_views.sql) after a real referral
 * and a status change polled from the FHIR server, on H2 and on PostgreSQL.
 */
class ReportingViewsTest {

    private static List<Map<String, Object>> rows(StateStore store, String sql) {
        return store.inTransaction(c -> {
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
        });
    }

    private static int n(Object o) { return ((Number) o).intValue(); }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void theViewsShowReferralsTransitionsAndDailyCounts(String engine) throws Exception {
        PostgresServer pg = engine.equals("postgresql") ? PostgresServer.shared() : null;
        String schema = "ref_views_" + Long.toHexString(System.nanoTime());
        String url = pg != null ? pg.jdbcUrl() : "jdbc:h2:mem:referral-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        Map<String, String> db = new HashMap<>();
        if (pg != null) db.putAll(Map.of("db.user", pg.user(), "db.password", pg.password(), "db.schema", schema));
        try (ReferralFixture f = new ReferralFixture(db, url);
             StateStore store = StateStore.open(url, db.getOrDefault("db.user", ""), db.getOrDefault("db.password", ""), pg == null ? null : schema, "referral")) {
            String caseId = f.commcare.registerCase("client", "Fatmata Sesay", null, CommCareSimulator.props());
            String taskId = f.referredTask(UUID.randomUUID().toString(), caseId, "CHW-V-1", "2020-01-01");
            f.fhir.edit("Task", taskId, t -> t.put("status", "in-progress"));
            assertThat(f.call("GET", "/referrals/sync", null).http()).isEqualTo(200);

            var referrals = rows(store, "SELECT source, urgency, status, closed, completed, created_day FROM rpt_referral");
            assertThat(referrals).hasSize(1);
            assertThat(referrals.get(0)).containsEntry("urgency", "routine").containsEntry("status", "in-progress");
            assertThat(n(referrals.get(0).get("closed"))).isZero();

            var transitions = rows(store, "SELECT to_status, via FROM rpt_referral_transition ORDER BY id");
            assertThat(transitions.size()).isGreaterThanOrEqualTo(2);
            assertThat(transitions.get(transitions.size() - 1)).containsEntry("to_status", "in-progress");

            var daily = rows(store, "SELECT urgency, status, referrals FROM rpt_referral_daily");
            assertThat(daily).hasSize(1);
            assertThat(n(daily.get(0).get("referrals"))).isEqualTo(1);

            var ledger = rows(store, "SELECT status, items FROM rpt_ledger_daily WHERE kind = 'referral'");
            assertThat(ledger).extracting(r -> r.get("status") + "=" + n(r.get("items"))).containsExactly("SUCCEEDED=1");
        } finally {
            if (pg != null) pg.dropSchema(schema);
        }
    }
}
