package org.chis.mediator.dhis2;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * POST /dhis2/aggregate without a period: the period is computed from the report's own date field (else CommCare's
 * received_on) and the data set's period type. One data set map per period type, all with
 * {@code "reportDateFields": ["visit_date", "received_on"]}.
 */
class AggregatePeriodTest {
    static final String BCG = "s46m5MS0hxu";
    static final String NGELEHUN = "DiszpKrYNg8";
    @TempDir
    static Path maps;
    static MediatorFixture f;

    @BeforeAll
    static void start() throws Exception {
        for (String type : new String[] {"daily", "weekly", "monthly", "quarterly", "yearly"}) {
            Files.writeString(maps.resolve(type + ".json"), """
                    {"report": "bcg-%1$s", "dataSet": "BfMAe6Itzgt", "periodType": "%1$s", "reportDateFields": ["visit_date", "received_on"],
                     "orgUnits": {"ngelehun-chc": "DiszpKrYNg8"}, "dataValues": {"bcg": "s46m5MS0hxu"}}""".formatted(type));
        }
        f = new MediatorFixture(Map.of("aggregate.mapsDir", maps.toString()));
    }

    @AfterAll
    static void stop() { f.close(); }

    @BeforeEach
    void reset() {
        f.dhis2.reset();
        f.dhis2.today(LocalDate.of(2027, 3, 1));
    }

    static String report(String type, String dateFields) {
        return """
                {"report": "bcg-%s", %s "rows": [{"location": "ngelehun-chc", "bcg": 7}]}""".formatted(type, dateFields);
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource({
            "daily, 2026-12-06, 20261206",
            "weekly, 2026-12-06, 2026W49",
            "weekly, 2027-01-01, 2026W53", // Friday 1 January 2027 is in the last ISO week of 2026
            "weekly, 2024-12-30, 2025W1", // Monday 30 December 2024 starts ISO week 1 of 2025
            "monthly, 2026-12-06, 202612",
            "quarterly, 2026-12-06, 2026Q4",
            "yearly, 2026-12-06, 2026"})
    void thePeriodComesFromTheReportsDateField(String type, String date, String period) throws Exception {
        MediatorFixture.Reply r = f.call("POST", "/dhis2/aggregate", report(type, "\"visit_date\": \"" + date + "\","));
        assertThat(r.status()).as(r.envelope().toString()).isEqualTo("Successful");
        assertThat(f.dhis2.dataValue(BCG, period, NGELEHUN)).hasValue("7");
        assertThat(f.dhis2.dataValueCount()).isEqualTo(1);
    }

    @Test
    void withoutItsDateFieldAForwardedFormReportsInThePeriodItWasReceived() throws Exception {
        // CommCare writes received_on in UTC with Z: the date part is taken as written
        MediatorFixture.Reply r = f.call("POST", "/dhis2/aggregate", report("weekly", "\"received_on\": \"2026-12-31T23:30:00.000000Z\","));
        assertThat(r.status()).as(r.envelope().toString()).isEqualTo("Successful");
        assertThat(f.dhis2.dataValue(BCG, "2026W53", NGELEHUN)).hasValue("7");
    }

    @Test
    void aPeriodGivenByTheReportWinsOverItsDateFields() throws Exception {
        MediatorFixture.Reply r = f.call("POST", "/dhis2/aggregate", report("monthly", "\"period\": \"202611\", \"visit_date\": \"2026-12-06\","));
        assertThat(r.status()).as(r.envelope().toString()).isEqualTo("Successful");
        assertThat(f.dhis2.dataValue(BCG, "202611", NGELEHUN)).hasValue("7");
        assertThat(f.dhis2.dataValue(BCG, "202612", NGELEHUN)).isEmpty();
    }

    @Test
    void noDateOrABadOneIsA400AndNothingIsSent() throws Exception {
        MediatorFixture.Reply none = f.call("POST", "/dhis2/aggregate", report("monthly", ""));
        assertThat(none.http()).isEqualTo(400);
        assertThat(none.envelope().path("response").path("body").asText()).contains("no period").contains("[visit_date, received_on]");
        MediatorFixture.Reply bad = f.call("POST", "/dhis2/aggregate", report("monthly", "\"visit_date\": \"06/12/2026\","));
        assertThat(bad.http()).isEqualTo(400);
        assertThat(bad.envelope().path("response").path("body").asText()).contains("visit_date '06/12/2026' is not a date");
        assertThat(f.dhis2.dataValueSetRequests()).isZero();
    }
}
