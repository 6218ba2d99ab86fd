package org.chis.mediator.dhis2;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** POST /dhis2/aggregate and the pull channel against the DHIS2 simulator (every answer shape). */
class AggregateTest {
    static MediatorFixture f;

    @BeforeAll
    static void start() {
        f = new MediatorFixture(Map.of("aggregate.chunkSize", "4", "aggregate.source.url", "http://localhost:1/unset"));
    }

    @AfterAll
    static void stop() { f.close(); }

    @BeforeEach
    void reset() {
        f.dhis2.reset();
        f.dhis2.today(LocalDate.of(2024, 3, 15));
        f.commcare.reset();
    }

    static final String MONTHLY = """
            {"report": "anc-monthly", "period": "202402", "rows": [
              {"location": "ngelehun-chc", "anc1": 12, "anc1_outreach": 3, "anc2": 7, "anc3": 4, "anc4": 1},
              {"location": "njandama-mchp", "anc1": 5, "anc2": 2, "anc3": null, "anc4": "", "remarks": "généralement calme"},
              {"location": "adonkia-chp", "period": "202401", "anc1": 9}
            ]}""";

    @Test
    void aReportLandsInDhis2InChunks() throws Exception {
        MediatorFixture.Reply r = f.call("POST", "/dhis2/aggregate", MONTHLY);
        assertThat(r.http()).as(r.envelope().toString()).isEqualTo(200);
        assertThat(r.status()).isEqualTo("Successful");
        assertThat(f.dhis2.dataValue("fbfJHSPpUQD", "202402", "DiszpKrYNg8", "Prlt0C1RF0s", null)).hasValue("12");
        assertThat(f.dhis2.dataValue("fbfJHSPpUQD", "202402", "DiszpKrYNg8", "psbwp3CQEhs", null)).hasValue("3");
        assertThat(f.dhis2.dataValue("x3Do5e7g4Qo", "202402", "g8upMTyEZGZ")).hasValue("généralement calme");
        assertThat(f.dhis2.dataValue("fbfJHSPpUQD", "202401", "Rp268JB6Ne4", "Prlt0C1RF0s", null)).hasValue("9");
        assertThat(f.dhis2.dataValueCount()).isEqualTo(9);
        assertThat(r.property("dhis2.values")).isEqualTo("9");
        assertThat(r.property("dhis2.imported")).isEqualTo("9");
        assertThat(r.property("dhis2.chunks")).isEqualTo("3");
        assertThat(r.orchestrationNames()).hasSize(3).allMatch(n -> n.startsWith("DHIS2: dataValueSets anc-monthly chunk"));

        MediatorFixture.Reply again = f.call("POST", "/dhis2/aggregate", MONTHLY);
        assertThat(again.property("dhis2.updated")).isEqualTo("9");
        assertThat(f.dhis2.dataValueCount()).isEqualTo(9);
    }

    @Test
    void weeklyPeriodsFollowIsoWeeksAcrossTheYearEnd() throws Exception {
        f.dhis2.today(LocalDate.of(2025, 2, 1));
        MediatorFixture.Reply r = f.call("POST", "/dhis2/aggregate?report=immunisation-weekly", """
                [{"location": "ngelehun-chc", "date": "2021-01-01", "bcg": 4},
                 {"location": "ngelehun-chc", "date": "2024-12-30", "bcg": 6},
                 {"location": "ngelehun-chc", "date": "2023-01-01", "bcg": 2}]""");
        assertThat(r.status()).as(r.envelope().toString()).isEqualTo("Successful");
        assertThat(f.dhis2.dataValue("s46m5MS0hxu", "2020W53", "DiszpKrYNg8")).hasValue("4");
        assertThat(f.dhis2.dataValue("s46m5MS0hxu", "2025W1", "DiszpKrYNg8")).hasValue("6");
        assertThat(f.dhis2.dataValue("s46m5MS0hxu", "2022W52", "DiszpKrYNg8")).hasValue("2");
    }

    @ParameterizedTest
    @ValueSource(strings = {"2.37.9", "2.40.4"})
    void conflictsMakeCompletedWithErrorsListingEach(String version) throws Exception {
        f.dhis2.version(version);
        MediatorFixture.Reply r = f.call("POST", "/dhis2/aggregate", """
                {"report": "anc-monthly", "rows": [
                  {"location": "ngelehun-chc", "period": "202402", "anc1": 3, "anc2": -1},
                  {"location": "ngelehun-chc", "period": "202406", "anc1": 4}
                ]}""");
        assertThat(r.http()).isEqualTo(200);
        assertThat(r.status()).isEqualTo("Completed with error(s)");
        assertThat(r.property("dhis2.imported")).isEqualTo("1");
        assertThat(r.property("dhis2.ignored")).isEqualTo("2");
        assertThat(r.property("dhis2.conflicts")).isEqualTo("2");
        assertThat(r.body().path("conflicts").toString()).contains("202406").contains("cYeuwXTCPkU");
        if (!version.startsWith("2.37")) assertThat(r.body().path("conflicts").toString()).contains("value #2").contains("value #3").contains("E7641");
        assertThat(f.dhis2.dataValue("fbfJHSPpUQD", "202402", "DiszpKrYNg8", "Prlt0C1RF0s", null)).hasValue("3");
    }

    @Test
    void nothingTakenIsFailed() throws Exception {
        MediatorFixture.Reply r = f.call("POST", "/dhis2/aggregate", """
                {"report": "anc-monthly", "period": "202409", "rows": [{"location": "ngelehun-chc", "anc1": 3, "anc2": 1}]}""");
        assertThat(r.status()).isEqualTo("Failed");
        assertThat(r.http()).isEqualTo(409);
        assertThat(r.body().path("error").asText()).contains("took none").contains("E7641");
        assertThat(f.dhis2.dataValueCount()).isZero();
    }

    @Test
    void badInputIs400AndNothingIsSent() throws Exception {
        MediatorFixture.Reply unknownLocation = f.call("POST", "/dhis2/aggregate", """
                {"report": "anc-monthly", "period": "202402", "rows": [{"location": "ngelehun-chc", "anc1": 3}, {"location": "mars", "anc1": 1}]}""");
        assertThat(unknownLocation.http()).isEqualTo(400);
        assertThat(unknownLocation.body().path("error").asText()).contains("row 2").contains("mars").contains("nothing was sent");
        assertThat(f.call("POST", "/dhis2/aggregate", "{\"report\": \"anc-monthly\", \"rows\": [").http()).isEqualTo(400);
        assertThat(f.call("POST", "/dhis2/aggregate", "{\"report\": \"nope\", \"rows\": []}").body().path("error").asText()).contains("anc-monthly");
        assertThat(f.call("POST", "/dhis2/aggregate", """
                {"report": "immunisation-weekly", "rows": [{"location": "ngelehun-chc", "bcg": 1}]}""").body().path("error").asText())
                .contains("no period");
        assertThat(f.call("POST", "/dhis2/aggregate", """
                {"report": "anc-monthly", "period": "2024Q1", "rows": [{"location": "ngelehun-chc", "anc1": 1}]}""").http()).isEqualTo(400);
        assertThat(f.dhis2.valuesReceived()).isZero();
    }

    @Test
    void dryRunStoresNothing() throws Exception {
        MediatorFixture.Reply r = f.call("POST", "/dhis2/aggregate?dryRun=true", MONTHLY);
        assertThat(r.status()).isEqualTo("Successful");
        assertThat(r.property("dhis2.dryRun")).isEqualTo("true");
        assertThat(r.property("dhis2.imported")).isEqualTo("9");
        assertThat(f.dhis2.valuesReceived()).isEqualTo(9);
        assertThat(f.dhis2.dataValueCount()).isZero();
    }

    @Test
    void anUpstreamFaultMidWayFailsAndARerunCompletesWithoutDuplicates() throws Exception {
        f.dhis2.failAfter("POST", "/api/dataValueSets", 1, 503, null); // chunk 1 lands, chunk 2 meets a fault
        MediatorFixture.Reply failed = f.call("POST", "/dhis2/aggregate", MONTHLY);
        assertThat(failed.status()).isEqualTo("Failed");
        assertThat(failed.http()).isEqualTo(503);
        assertThat(failed.envelope().path("error").path("message").asText()).contains("503").contains("after 4 values");
        assertThat(f.dhis2.dataValueCount()).isEqualTo(4);
        MediatorFixture.Reply r = f.call("POST", "/dhis2/aggregate", MONTHLY);
        assertThat(r.status()).isEqualTo("Successful");
        assertThat(f.dhis2.dataValueCount()).isEqualTo(9);
    }

    @Test
    void wrongDhis2CredentialsFailWithAMessageThatSaysSo() throws Exception {
        f.app.settings().override("dhis2.password", "not-district");
        try {
            MediatorFixture.Reply r = f.call("POST", "/dhis2/aggregate", MONTHLY);
            assertThat(r.status()).isEqualTo("Failed");
            assertThat(r.http()).isEqualTo(502);
            assertThat(r.envelope().path("error").path("message").asText()).contains("401").contains("dhis2.user/dhis2.password");
            assertThat(r.envelope().toString()).doesNotContain("not-district");
        } finally {
            f.app.settings().override("dhis2.password", "district");
        }
    }

    @Test
    void thePullChannelStreamsTheSourceReport() throws Exception {
        f.commcare.wireMock().stubFor(get(urlPathEqualTo("/reports/anc.json")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody(MONTHLY.replace("\"location\": \"adonkia-chp\"", "\"location\": \"unknown-post\""))));
        f.app.settings().override("aggregate.source.url", "http://localhost:" + f.commcare.port() + "/reports/anc.json");
        MediatorFixture.Reply r = f.call("GET", "/dhis2/aggregate/pull", null);
        assertThat(r.status()).as(r.envelope().toString()).isEqualTo("Completed with error(s)");
        assertThat(r.body().path("conflicts").get(0).asText()).contains("row 3").contains("unknown-post");
        assertThat(f.dhis2.dataValueCount()).isEqualTo(8);
        assertThat(r.orchestrationNames().get(r.orchestrationNames().size() - 1)).startsWith("Report source: read");

        f.commcare.wireMock().stubFor(get(urlPathEqualTo("/reports/anc.json")).willReturn(aResponse().withStatus(500).withBody("boom")));
        MediatorFixture.Reply down = f.call("GET", "/dhis2/aggregate/pull", null);
        assertThat(down.status()).isEqualTo("Failed");
        assertThat(down.envelope().path("error").path("message").asText()).contains("500");
    }

    @Test
    void thePullChannelWithoutASourceCompletesWithAMessageInsteadOfFailingEveryPoll() throws Exception {
        // the shipped default: aggregate.source.url= (empty) and the polling channel installed
        f.app.settings().override("aggregate.source.url", "");
        int before = f.dhis2.dataValueCount();
        MediatorFixture.Reply r = f.call("GET", "/dhis2/aggregate/pull", null);
        assertThat(r.http()).as(r.envelope().toString()).isEqualTo(200);
        assertThat(r.status()).isEqualTo("Completed");
        assertThat(r.body().path("message").asText()).contains("aggregate.source.url is not set").contains("nothing pulled");
        assertThat(r.envelope().has("error")).as("no auto-retry for a pull that is not configured").isFalse();
        assertThat(r.orchestrationNames()).as("nothing called").isEmpty();
        assertThat(f.dhis2.dataValueCount()).isEqualTo(before);
    }
}
