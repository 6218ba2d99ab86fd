package org.chis.mediator.dhis2;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.systems.commcare.CommCareCase;
import org.chis.simulators.commcare.CommCareSimulator;
import org.chis.simulators.dhis2.Dhis2Simulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** GET /dhis2/import: DHIS2 tracked entities -> CommCare cases, paged from the stored marker. */
class ImportTest {
    static final String PERSON = "nEenWmSyUEp";
    static final String FIRST_NAME = "w75KJ2mc4zz";
    MediatorFixture f;

    @BeforeEach
    void start() { f = new MediatorFixture(Map.of("import.pageSize", "3")); }

    @AfterEach
    void stop() { f.close(); }

    List<String> register(int n, String prefix) {
        List<String> uids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            uids.add(f.dhis2.saveTrackedEntity(null, i % 2 == 0 ? "DiszpKrYNg8" : "g8upMTyEZGZ", PERSON,
                    Map.of(FIRST_NAME, prefix + i, "zDhUuAYrxNC", "Sesay"), "clerk"));
        }
        return uids;
    }

    void assertEachImportedOnce(List<String> uids) {
        for (String uid : uids) {
            assertThat(f.commcare.casesByExternalId(uid)).as("cases for " + uid).hasSize(1);
        }
    }

    @Test
    void importsEveryPageAndAFailureNeverSkipsOne() throws Exception {
        List<String> uids = register(7, "Child ");
        f.dhis2.failAfter("GET", "/api/tracker/trackedEntities", 1, 500, null); // page 1 goes through, page 2 fails
        MediatorFixture.Reply failed = f.call("GET", "/dhis2/import", null);
        assertThat(failed.status()).isEqualTo("Failed");
        assertThat(f.commcare.cases()).hasSize(3);

        f.commcare.failNext("POST", MediatorFixture.RECEIVER, 500, null); // CommCare down for the next page
        MediatorFixture.Reply failedAgain = f.call("GET", "/dhis2/import", null);
        assertThat(failedAgain.status()).isEqualTo("Failed");
        assertThat(f.commcare.cases()).hasSize(3);

        MediatorFixture.Reply ok = f.call("GET", "/dhis2/import", null);
        assertThat(ok.status()).as(ok.envelope().toString()).isEqualTo("Successful");
        assertThat(ok.body().path("casesCreated").asInt()).isEqualTo(4);
        assertThat(ok.body().path("markerBefore").path("updatedAfter").asText())
                .isEqualTo(f.dhis2.trackedEntity(uids.get(2)).orElseThrow().path("updatedAt").asText());
        assertEachImportedOnce(uids);
        CommCareCase c = f.commcare.casesByExternalId(uids.get(4)).get(0);
        assertThat(c.caseName()).isEqualTo("Child 4 Sesay");
        assertThat(c.caseType()).isEqualTo("dhis2_person");
        assertThat(c.property("first_name")).isEqualTo("Child 4");
        assertThat(c.property("dhis2_org_unit")).isEqualTo("DiszpKrYNg8");

        MediatorFixture.Reply idle = f.call("GET", "/dhis2/import", null);
        assertThat(idle.body().path("casesCreated").asInt() + idle.body().path("casesUpdated").asInt()).isZero();
        assertThat(f.commcare.submittedForms()).hasSize(3); // pages 1, 2, 3: nothing submitted twice

        f.dhis2.saveTrackedEntity(uids.get(1), "g8upMTyEZGZ", PERSON, Map.of(FIRST_NAME, "Renamed"), "clerk");
        MediatorFixture.Reply edit = f.call("GET", "/dhis2/import", null);
        assertThat(edit.body().path("casesUpdated").asInt()).isEqualTo(1);
        assertThat(f.commcare.casesByExternalId(uids.get(1)).get(0).property("first_name")).isEqualTo("Renamed");
        assertEachImportedOnce(uids);
    }

    @Test
    void theMarkerSurvivesARestartOfTheMediator() throws Exception {
        List<String> first = register(4, "Before ");
        assertThat(f.call("GET", "/dhis2/import", null).body().path("casesCreated").asInt()).isEqualTo(4);
        f.app.close();
        // same state database, new process: only what changed since is imported
        MediatorApp again = Main.start(f.settings(Map.of("import.pageSize", "3")));
        try {
            List<String> later = register(2, "After ");
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + again.port() + "/dhis2/import")).GET().build(), HttpResponse.BodyHandlers.ofString());
            JsonNode body = Json.parse(
                    Json.parse(r.body()).path("response").path("body").asText());
            assertThat(body.path("casesCreated").asInt()).isEqualTo(2);
            assertThat(body.path("casesUpdated").asInt()).isZero();
            assertEachImportedOnce(first);
            assertEachImportedOnce(later);
        } finally {
            again.close();
        }
    }

    @Test
    void dhis2241PagesWithAPagerAndTakesOrgUnits() throws Exception {
        f.dhis2.version("2.41.0");
        f.app.settings().override("import.orgUnitParam", "orgUnits");
        List<String> uids = register(5, "New ");
        MediatorFixture.Reply r = f.call("GET", "/dhis2/import", null);
        assertThat(r.status()).as(r.envelope().toString()).isEqualTo("Successful");
        assertThat(r.body().path("casesCreated").asInt()).isEqualTo(5);
        assertEachImportedOnce(uids);
        assertThat(r.envelope().path("orchestrations").get(0).path("request").path("querystring").asText()).contains("orgUnits=ImspTQPwCqd");
    }

    @Test
    void moreItemsWithOneTimestampThanAPageHoldsAreAllImported() throws Exception {
        List<String> uids = new ArrayList<>();
        for (int i = 0; i < 8; i++) uids.add(Dhis2Simulator.newUid());
        f.dhis2.saveTrackedEntitiesAtOnce(uids, "DiszpKrYNg8", PERSON, FIRST_NAME, "clerk");
        List<String> later = register(2, "Later ");
        MediatorFixture.Reply r = f.call("GET", "/dhis2/import", null);
        assertThat(r.status()).isEqualTo("Successful");
        assertThat(r.body().path("casesCreated").asInt()).isEqualTo(10);
        assertEachImportedOnce(uids);
        assertEachImportedOnce(later);
        assertThat(f.call("GET", "/dhis2/import", null).body().path("casesCreated").asInt()).isZero();
    }

    @Test
    void eventsRecordedInDhis2UpdateTheCaseOfTheirTrackedEntity() throws Exception {
        String te = f.dhis2.saveTrackedEntity(null, "DiszpKrYNg8", PERSON, Map.of(FIRST_NAME, "Isatu"), "clerk");
        ObjectNode bundle = Json.object();
        ObjectNode en = bundle.putArray("enrollments").addObject().put("enrollment", Dhis2Simulator.newUid())
                .put("trackedEntity", te).put("program", "IpHINAT79UW").put("orgUnit", "DiszpKrYNg8").put("enrolledAt", "2024-03-01");
        en.putArray("events").addObject().put("event", Dhis2Simulator.newUid()).put("programStage", "A03MvHHogjR").put("orgUnit", "DiszpKrYNg8")
                .put("occurredAt", "2024-03-05").putArray("dataValues").addObject().put("dataElement", "UXz7xuGCEhU").put("value", "7.5");
        assertThat(f.dhis2.importTrackerAs("nurse", bundle).path("status").asText()).isEqualTo("OK");

        MediatorFixture.Reply r = f.call("GET", "/dhis2/import", null);
        assertThat(r.status()).as(r.envelope().toString()).isEqualTo("Successful");
        assertThat(r.body().path("events").path("casesUpdated").asInt()).isEqualTo(1);
        CommCareCase c = f.commcare.casesByExternalId(te).get(0);
        assertThat(c.property("last_weight")).isEqualTo("7.5");
        assertThat(c.property("dhis2_last_event_date")).startsWith("2024-03-05");
        assertThat(f.call("GET", "/dhis2/import", null).body().path("events").path("casesUpdated").asInt()).isZero();
    }

    @Test
    void whatWePushedIsNotEchoedBackButADhis2EditUpdatesTheOriginalCase() throws Exception {
        String caseId = f.commcare.registerCase("child", "Amina Kamara", null, CommCareSimulator.props("first_name", "Amina"));
        MediatorFixture.Reply pushed = f.call("POST", "/dhis2/tracker", TrackerTest.form("form-9", caseId, "ngelehun-chc", "9.1", "no"));
        assertThat(pushed.status()).isEqualTo("Successful");
        String te = pushed.property("dhis2.trackedEntity");

        MediatorFixture.Reply echo = f.call("GET", "/dhis2/import", null);
        assertThat(echo.body().path("echoesSkipped").asInt()).isEqualTo(1);
        assertThat(echo.body().path("events").path("echoesSkipped").asInt()).isEqualTo(1);
        assertThat(f.commcare.cases()).hasSize(1);

        f.dhis2.saveTrackedEntity(te, "DiszpKrYNg8", PERSON, Map.of(FIRST_NAME, "Aminata"), "clerk");
        MediatorFixture.Reply edit = f.call("GET", "/dhis2/import", null);
        assertThat(edit.body().path("casesUpdated").asInt()).isEqualTo(1);
        assertThat(f.commcare.cases()).hasSize(1);
        assertThat(f.commcare.caseById(caseId).orElseThrow().property("first_name")).isEqualTo("Aminata");
        assertThat(f.commcare.caseById(caseId).orElseThrow().externalId()).isEqualTo(te);
    }
}
