package org.chis.mediator.smscodecard;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.chis.common.testing.PostgresServer;
import org.chis.mediator.smscodecard.reply.Reference;
import org.junit.jupiter.api.Test;

/** The mediator's tables and flows on a real PostgreSQL (its own schema): accept, repeat, duplicate, UNDO, resend. */
class PostgresTest {
    @Test
    void theWholeFlowRunsOnPostgres() throws Exception {
        PostgresServer pg = PostgresServer.shared();
        String schema = "sms_it_" + Long.toHexString(System.nanoTime());
        try (SmsFixture f = new SmsFixture(Map.of("db.url", pg.jdbcUrl(), "db.user", pg.user(), "db.password", pg.password(), "db.schema", schema))) {
            String valid = "ANC 1000Y ANC1 LMP 01022026 WT 60";
            assertThat(f.sms(SmsFixture.uuid(1), SmsFixture.JOHN, "eng", valid).kind()).isEqualTo("ok");
            assertThat(f.sms(SmsFixture.uuid(1), SmsFixture.JOHN, "eng", valid).kind()).isEqualTo("ok");
            assertThat(f.sms(SmsFixture.uuid(2), SmsFixture.JOHN, "eng", valid).kind()).isEqualTo("already_received");
            assertThat(f.sms(SmsFixture.uuid(3), SmsFixture.JOHN, "eng", "UNDO " + Reference.of(SmsFixture.uuid(1))).kind()).isEqualTo("undone");
            assertThat(f.sms(SmsFixture.uuid(4), SmsFixture.JOHN, "eng", valid).kind()).isEqualTo("ok");
            assertThat(f.sms(SmsFixture.uuid(5), SmsFixture.JOHN, "eng", "ANC 1000Y ANC1 LMP 010226").kind()).isEqualTo("ambiguous_date");
            var records = f.warehouse().records();
            assertThat(records).extracting(Warehouse.Stored::status).containsExactly("RETRACTED", "ACTIVE");
            assertThat(f.warehouse().message(SmsFixture.uuid(5)).orElseThrow().kind()).isEqualTo("ambiguous_date");
            assertThat(f.liveEncounters()).hasSize(1);
        } finally {
            pg.dropSchema(schema);
        }
    }
}
