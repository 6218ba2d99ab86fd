package org.chis.mediator.smscodecard;

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
import org.chis.common.testing.PostgresServer;
import org.chis.mediator.smscodecard.reply.Reference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The reporting views Superset reads (db/sms-codecard/R__sms_codecard_reporting_views.sql and the common ones) after
 * real messages through the webhook, on H2 and on PostgreSQL.
 */
class ReportingViewsTest {

    private List<Map<String, Object>> rows(SmsFixture f, String sql) {
        return f.warehouse().store().inTransaction(c -> {
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
    void theViewsShowMessagesRecordsValuesAndLedgerAfterRealMessages(String engine) throws Exception {
        Map<String, String> db = new HashMap<>();
        PostgresServer pg = engine.equals("postgresql") ? PostgresServer.shared() : null;
        String schema = "sms_views_" + Long.toHexString(System.nanoTime());
        if (pg != null) db.putAll(Map.of("db.url", pg.jdbcUrl(), "db.user", pg.user(), "db.password", pg.password(), "db.schema", schema));
        try (SmsFixture f = new SmsFixture(db)) {
            String anc = "ANC 1000Y ANC1 LMP 01022026 WT 60";
            assertThat(f.sms(SmsFixture.uuid(1), SmsFixture.JOHN, "eng", anc).kind()).isEqualTo("ok");
            assertThat(f.sms(SmsFixture.uuid(1), SmsFixture.JOHN, "eng", anc).kind()).isEqualTo("ok"); // a repeat: nothing new
            assertThat(f.sms(SmsFixture.uuid(2), SmsFixture.ASHA, "swa", "SAJILI Rehema Juma KE 35 +255712345678").kind()).isEqualTo("registered");
            assertThat(f.sms(SmsFixture.uuid(3), SmsFixture.JOHN, "eng", "ANC 1000Y ANC1 LMP 010226").kind()).isEqualTo("ambiguous_date");
            assertThat(f.sms(SmsFixture.uuid(4), SmsFixture.JOHN, "eng", "UNDO " + Reference.of(SmsFixture.uuid(1))).kind()).isEqualTo("undone");

            var messages = rows(f, "SELECT ref, kind, outcome, language, received_day FROM rpt_sms_message ORDER BY received_at, ref");
            assertThat(messages).extracting(r -> r.get("kind")).containsExactlyInAnyOrder("ok", "registered", "ambiguous_date", "undone");
            assertThat(messages).filteredOn(r -> r.get("kind").equals("ambiguous_date")).extracting(r -> r.get("outcome")).containsExactly("rejected");
            assertThat(messages).filteredOn(r -> r.get("kind").equals("registered")).extracting(r -> r.get("outcome")).containsExactly("accepted");
            assertThat(messages.get(0).get("received_day").toString()).isEqualTo("2026-06-15"); // the pinned clock

            var daily = rows(f, "SELECT kind, language, messages FROM rpt_sms_daily WHERE received_day = DATE '2026-06-15' ORDER BY kind");
            assertThat(daily).extracting(r -> r.get("kind") + "/" + r.get("language") + "=" + n(r.get("messages")))
                    .containsExactly("ambiguous_date/eng=1", "ok/eng=1", "registered/swa=1", "undone/eng=1");

            var records = rows(f, "SELECT keyword, status, active, openmrs_encounter, openmrs_patient, opensrp_event FROM rpt_sms_record ORDER BY keyword");
            assertThat(records).extracting(r -> r.get("keyword") + " " + r.get("status") + " " + n(r.get("active")) + n(r.get("openmrs_encounter"))
                    + n(r.get("openmrs_patient")) + n(r.get("opensrp_event"))).containsExactly("ANC RETRACTED 0101", "REG ACTIVE 1011");

            var values = rows(f, "SELECT keyword, field, value_text, dhis2_data_element FROM rpt_sms_value ORDER BY keyword, field");
            assertThat(values).extracting(r -> r.get("keyword") + "." + r.get("field"))
                    .containsExactly("ANC.edd", "ANC.id", "ANC.lmp", "ANC.visit", "ANC.weight", "REG.birthdate", "REG.sex"); // no names, no phone
            assertThat(values).filteredOn(r -> r.get("field").equals("visit")).extracting(r -> r.get("dhis2_data_element")).doesNotContainNull();

            var ledger = rows(f, "SELECT kind, status, items FROM rpt_ledger_daily WHERE kind = 'sms-message'");
            assertThat(ledger).hasSize(1);
            assertThat(ledger.get(0)).containsEntry("status", "SUCCEEDED");
            assertThat(n(ledger.get(0).get("items"))).isEqualTo(4);
            var sagas = rows(f, "SELECT state FROM rpt_saga");
            assertThat(sagas).extracting(r -> r.get("state")).containsOnly("COMPLETED");
        } finally {
            if (pg != null) pg.dropSchema(schema);
        }
    }
}
